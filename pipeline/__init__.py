"""plancov: check year-end work summaries against an implementation plan's requirements.

The Python API (the command line is a thin layer over it)::

    import pipeline
    plan = pipeline.load_plan("corpus/plans/seed_2022_model_organ.txt")
    doc = pipeline.read("corpus/summaries/s001.txt")
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import PlancovError, InputError, PlanError  # noqa: E402
from .plan import load_plan, parse_plan  # noqa: E402
from .readers import read, read_bytes  # noqa: E402
from .types import Area, Document, Paragraph, Plan, PlanNode, Requirement  # noqa: E402

__all__ = ["__version__", "PlancovError", "InputError", "PlanError", "load_plan", "parse_plan",
           "read", "read_bytes", "Area", "Document", "Paragraph", "Plan", "PlanNode", "Requirement"]
