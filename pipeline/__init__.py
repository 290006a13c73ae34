"""plancov: check year-end work summaries against an implementation plan's requirements.

The Python API; the ``plancov`` command line is a thin layer over it. Importing the package is
cheap: models, jieba, spaCy and pandas load only when a function needs them.

    >>> import pipeline
    >>> plan = pipeline.load_plan(pipeline.SEED_PLAN)
    >>> len(plan.requirements), plan.requirements[0].id
    (20, '2.1.1')
    >>> doc = pipeline.read(pipeline.SAMPLES_DIR / "审计局第三支部工作总结.txt")
    >>> pred = pipeline.classify(doc, plan)
    >>> len(pred.paragraphs) == len(doc.paragraphs)
    True
    >>> result = pipeline.run(pipeline.SAMPLES_DIR, plan)
    >>> pipeline.matrix_frame(result).shape
    (8, 20)

Functions:

- :func:`load_plan` — a plan file into its requirement catalog (:class:`Plan`).
- :func:`read` — a TXT, DOCX or PDF file into paragraphs (:class:`Document`).
- :func:`classify` — the kind of each paragraph and the requirements it serves (:class:`Prediction`).
- :func:`compute_coverage` — predictions against a plan: covered / weak / missing per document
  (:class:`~pipeline.coverage.CoverageResult`).
- :func:`run` — read, classify and cover a batch of files (optionally writing the reports).
- :func:`paragraphs_frame`, :func:`evidence_frame`, :func:`matrix_frame`, :func:`gaps_frame`,
  :func:`documents_frame`, :func:`requirements_frame` — results as pandas DataFrames with stable
  column names (see :mod:`pipeline.frames`; needs ``pip install "plancov[notebook]"``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

__version__ = "0.1.0"

from .corpus import CORPUS_DIR, SEED_PLAN  # noqa: E402
from .errors import InputError, PlanError, PlancovError  # noqa: E402
from .frames import (  # noqa: E402
    documents_frame,
    evidence_frame,
    gaps_frame,
    matrix_frame,
    paragraphs_frame,
    requirements_frame,
    to_frames,
)
from .plan import parse_plan  # noqa: E402
from .readers import read, read_bytes  # noqa: E402
from .types import Area, Document, Paragraph, Plan, PlanNode, Prediction, Requirement  # noqa: E402

if TYPE_CHECKING:
    from .classifiers import PlanClassifier
    from .coverage import CoverageResult, DocumentError

#: The bundled sample summaries (TXT, DOCX and PDF) that ``plancov run`` uses by default.
SAMPLES_DIR = CORPUS_DIR / "samples"

_PathLike = str | os.PathLike[str]


def load_plan(path: _PathLike, task_section: str | None = None) -> Plan:
    """Read and parse a plan file (TXT, DOCX or PDF) into its requirement catalog.

    Args:
        path: the plan file; :data:`SEED_PLAN` is the bundled 2022 plan.
        task_section: id of the section holding the task areas (e.g. ``"2"``); found by
            structure when None.

    Returns:
        The :class:`Plan`: areas, requirements (ids such as ``"2.3.2"``) and catalog hash.

    Raises:
        PlanError: the file cannot be read or has no numbered task section.

    Example:
        >>> plan = load_plan(SEED_PLAN)
        >>> plan.task_section, len(plan.areas), plan.requirement("2.3.2").area_id
        ('2', 6, '2.3')
    """
    from .plan import load_plan as _load_plan

    return _load_plan(path, task_section=task_section)


def _plan_of(plan: Plan | _PathLike | None) -> Plan:
    if isinstance(plan, Plan):
        return plan
    return load_plan(SEED_PLAN if plan is None else plan)


_CLASSIFIERS: dict[tuple, "PlanClassifier"] = {}
_CLASSIFIERS_LOCK = threading.Lock()


def _classifier(plan: Plan, models: _PathLike | None) -> "PlanClassifier":
    """The classifier for ``plan`` and a model folder, loaded once per plan hash and folder."""
    from .classifiers import MODELS_DIR, load_classifier

    folder = Path(models or MODELS_DIR).resolve()
    try:
        # A retrained folder gets new metadata, so the cache never serves stale models.
        stamp = (folder / "metadata.json").stat().st_mtime_ns
    except OSError:
        stamp = None  # load_classifier raises the clear error for a missing folder
    key = (plan.sha256, str(folder), stamp)
    with _CLASSIFIERS_LOCK:
        clf = _CLASSIFIERS.get(key)
        if clf is None:
            clf = load_classifier(plan, folder)
            _CLASSIFIERS[key] = clf
    return clf


def classify(document: Document | _PathLike, plan: Plan | _PathLike | None = None, *,
             models: _PathLike | None = None) -> Prediction:
    """Classify every paragraph of a document: its kind and the requirements it serves.

    The classifier is loaded on first use and cached per plan (catalog hash) and model folder,
    so classifying many documents in a notebook loads the models once. For a plan the shipped
    models were not trained for, the plan-agnostic matcher is used (and a warning logged).

    Args:
        document: a :class:`Document` (from :func:`read`) or the path of a file to read.
        plan: a :class:`Plan`, a plan file, or None for the bundled seed plan.
        models: a model folder; None for the bundled ``models/``.

    Returns:
        A :class:`Prediction` with one :class:`~pipeline.types.ParagraphPrediction` per paragraph.

    Raises:
        InputError: the document cannot be read.
        ModelError: the model folder is missing or fails its manifest check.

    Example:
        >>> pred = classify(SAMPLES_DIR / "审计局第三支部工作总结.txt")
        >>> pred.paragraphs[0].kind in ("evidence", "heading", "boilerplate", "problem", "plan")
        True
        >>> all(0.0 <= rs.score <= 1.0 for p in pred.paragraphs for rs in p.requirements)
        True
    """
    if not isinstance(document, Document):
        document = read(document)
    return _classifier(_plan_of(plan), models).classify(document)


def compute_coverage(plan: Plan | _PathLike | None, predictions: Iterable["Prediction | DocumentError"], *,
                     thresholds=None, branches=None) -> "CoverageResult":
    """Coverage of the plan's requirements by classified documents: covered / weak / missing.

    A pure function of its inputs (:func:`pipeline.coverage.compute_coverage`).

    Args:
        plan: the :class:`Plan` the predictions were made for, a plan file, or None for the seed plan.
        predictions: :class:`Prediction` records (and :class:`~pipeline.coverage.DocumentError`
            records for files that failed, which become error rows).
        thresholds: overrides of the models' thresholds (see ``compute_coverage``).
        branches: file → ``(branch, unit)``, or a manifest, naming the branch of each file.

    Returns:
        A :class:`~pipeline.coverage.CoverageResult`.

    Raises:
        ValueError: a prediction was made for another plan.

    Example:
        >>> plan = load_plan(SEED_PLAN)
        >>> pred = classify(SAMPLES_DIR / "审计局第三支部工作总结.txt", plan)
        >>> result = compute_coverage(plan, [pred])
        >>> result.totals.total == len(plan.requirements)
        True
    """
    from .coverage import compute_coverage as _compute

    return _compute(_plan_of(plan), predictions, thresholds=thresholds, branches=branches)


def run(paths: _PathLike | Sequence[_PathLike] | None = None, plan: Plan | _PathLike | None = None, *,
        out_dir: _PathLike | None = None, models: _PathLike | None = None, **options) -> "CoverageResult":
    """Read, classify and cover a batch of summaries; the library side of ``plancov run``.

    Files that cannot be read or classified become error rows of the result (and are logged);
    the rest go on.

    Args:
        paths: a file, folder, manifest CSV or list file, or a sequence of them; None for the
            bundled samples (:data:`SAMPLES_DIR`). Folders are searched recursively.
        plan: a :class:`Plan`, a plan file, or None for the bundled seed plan.
        out_dir: where to write the reports (HTML, JSON, XLSX, DOCX); None writes none.
        models: a model folder; None for the bundled ``models/``.
        **options: passed on to :func:`pipeline.runner.run` (``jobs``, ``executor``, ``lang``,
            ``formats``, ``progress`` ...).

    Returns:
        The :class:`~pipeline.coverage.CoverageResult`.

    Example:
        >>> result = run(SAMPLES_DIR)
        >>> len(result.documents), result.totals.total == 8 * 20
        (8, True)
    """
    from .runner import run as _run

    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    elif paths is not None:
        paths = list(paths)
    return _run(paths, plan, out_dir=out_dir, models=models, **options).result


__all__ = [
    "__version__", "PlancovError", "InputError", "PlanError",
    "CORPUS_DIR", "SEED_PLAN", "SAMPLES_DIR",
    "load_plan", "parse_plan", "read", "read_bytes", "classify", "compute_coverage", "run",
    "paragraphs_frame", "evidence_frame", "matrix_frame", "gaps_frame", "documents_frame",
    "requirements_frame", "to_frames",
    "Area", "Document", "Paragraph", "Plan", "PlanNode", "Prediction", "Requirement",
]
