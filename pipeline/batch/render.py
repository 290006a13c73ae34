"""Rendering a run's reports from the run store, in this process or in a helper process.

The report formats are independent, so with more than one core the runner writes the slowest
format (the Word report) in a helper process that reads the same run from the store, while it
writes the others itself.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from pathlib import Path

from ..types import Plan

log = logging.getLogger(__name__)

#: Rough relative cost of each format per document, for splitting the work.
_COST = {"docx": 3.0, "html": 1.0, "xlsx": 0.4, "json": 0.1}


def render_from_store(store: str, run_id: int, plan: Plan, branches: dict, out_dir: str, lang: str,
                      formats: tuple[str, ...], created: datetime, thresholds=None) -> list[str]:
    """Load a run from the store, compute its coverage and write ``formats``; the paths written."""
    from ..coverage import compute_coverage
    from ..reporters import write_reports
    from .store import RunStore

    with RunStore(store) as st:
        items = st.load_items(run_id)
    result = compute_coverage(plan, items, branches=branches or None, thresholds=thresholds)
    return [os.fspath(p) for p in write_reports(result, out_dir, lang=lang, formats=formats, created=created)]


def split_formats(formats: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(formats for a helper process, formats for this one): the costliest alone, when that
    leaves this process something to do."""
    if len(formats) < 2:
        return (), formats
    heavy = max(formats, key=lambda f: _COST.get(f, 1.0))
    return (heavy,), tuple(f for f in formats if f != heavy)


def write_reports_parallel(result, store: Path, run_id: int, branches: dict, out_dir: Path, lang: str,
                           formats: tuple[str, ...], thresholds=None) -> list[Path]:
    """Write ``formats`` of ``result``, the costliest in a helper process rendering from the store.

    Returns:
        The paths written, in the order :func:`pipeline.reporters.write_reports` gives them.
    """
    from ..reporters import REPORTERS, write_reports

    created = datetime.now().astimezone().replace(microsecond=0)
    helper, here = split_formats(formats)
    if not helper:
        return write_reports(result, out_dir, lang=lang, formats=formats, created=created)
    out_dir.mkdir(parents=True, exist_ok=True)
    # spawn: this process may have threads (a dask client, say); a fork could inherit a held lock
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        future = pool.submit(render_from_store, os.fspath(store), run_id, result.plan, branches,
                             os.fspath(out_dir), lang, helper, created, thresholds)
        written = write_reports(result, out_dir, lang=lang, formats=here, created=created)
        written += [Path(p) for p in future.result()]
    order = {r.format: n for n, r in enumerate(REPORTERS)}
    by_format = {}
    for p in written:
        by_format.setdefault(_format_of(p), []).append(p)
    return [p for f in sorted(by_format, key=lambda f: order.get(f, 99)) for p in by_format[f]]


def _format_of(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    return {"htm": "html"}.get(suffix, suffix)


__all__ = ["render_from_store", "split_formats", "write_reports_parallel"]
