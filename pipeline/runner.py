"""Running plancov over many files: collect the inputs, read and classify each file, compute
coverage and write the reports. One bad file becomes an error row; the rest go on."""

from __future__ import annotations

import csv
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

from .errors import InputError, PlancovError
from .types import Plan, Prediction

log = logging.getLogger(__name__)

SUFFIXES = (".txt", ".docx", ".pdf")
ROOT = Path(__file__).resolve().parent.parent
SAMPLES_DIR = ROOT / "corpus" / "samples"


def _wanted(p: Path) -> bool:
    name = p.name
    return (p.suffix.lower() in SUFFIXES and not name.startswith((".", "~$"))
            and not any(part.startswith(".") for part in p.parts[:-1] if part not in (".", "..")))


def collect_inputs(inputs: Sequence[str | os.PathLike[str]]) -> tuple[list[Path], dict[str, tuple[str, str | None]]]:
    """The files to process, in a stable order, and any branch names a manifest gave.

    An input is a file (any extension: the format comes from the bytes), a folder (searched
    recursively for .txt/.docx/.pdf, hidden files and Word lock files ``~$x.docx`` skipped), a
    manifest CSV (columns ``file,branch[,unit]``; ``file`` relative to the CSV), or a list file
    (``*.lst``/``*.list``: one path per line, relative to the list).

    Raises:
        InputError: an input that does not exist.
    """
    files: list[Path] = []
    branches: dict[str, tuple[str, str | None]] = {}
    for raw in inputs:
        p = Path(raw)
        if p.is_dir():
            found = sorted((q for q in p.rglob("*") if q.is_file() and _wanted(q.relative_to(p))),
                           key=lambda q: q.as_posix())
            files.extend(found)
        elif p.is_file() and p.suffix.lower() == ".csv":
            from .branches import read_manifest

            manifest = read_manifest(p)
            with open(p, encoding="utf-8-sig", newline="") as f:
                for row in csv.DictReader(f):
                    fp = (p.parent / (row.get("file") or "").strip())
                    if row.get("file"):
                        files.append(fp)
            for fp in files:
                b = manifest.lookup(os.fspath(fp))
                if b is not None:
                    branches[os.fspath(fp)] = (b.name, b.unit)
        elif p.is_file() and p.suffix.lower() in (".lst", ".list"):
            for line in p.read_text(encoding="utf-8-sig").splitlines():
                if line.strip() and not line.startswith("#"):
                    files.append(p.parent / line.strip())
        elif p.is_file():
            files.append(p)
        else:
            raise InputError(p, "no such file or folder")
    seen: set[str] = set()
    unique = []
    for f in files:
        key = os.path.normpath(os.fspath(f))
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique, branches


def process_file(path: str | os.PathLike[str], classifier) -> Prediction:
    """Read and classify one file. Raises InputError (read stage) or PlancovError."""
    from .readers import read

    doc = read(path)
    try:
        return classifier.classify(doc)
    except PlancovError:
        raise
    except Exception as e:  # a classifier bug must not sink the batch; it is this file's error
        err = InputError(path, f"classification failed ({type(e).__name__}: {e})")
        err.stage = "classify"
        raise err from e


@dataclass
class RunOutcome:
    """What :func:`run` produced."""

    result: object  # CoverageResult
    written: list[Path]
    errors: int


def run(inputs: Sequence[str | os.PathLike[str]] | None = None, plan: Plan | str | os.PathLike[str] | None = None, *,
        out_dir: str | os.PathLike[str] | None = "plancov-report", models: str | os.PathLike[str] | None = None,
        lang: str = "zh", formats: Sequence[str] | None = None,
        progress: Callable[[int, int, str], None] | None = None) -> RunOutcome:
    """Read, classify and report a batch of summaries.

    Args:
        inputs: files, folders, manifest CSVs or list files (default: the bundled samples).
        plan: a Plan or a plan file (default: the bundled seed plan).
        out_dir: where the reports go; None writes none.
        models: model folder (default: the bundled models/).
        lang: report language, ``"zh"`` or ``"en"``.
        progress: called as ``progress(done, total, path)`` after each file.

    Returns:
        The coverage result, the files written and the number of files that failed.
    """
    from .classify import load_classifier
    from .corpus import SEED_PLAN
    from .coverage import DocumentError, compute_coverage
    from .plan import load_plan
    from .reporters import FORMATS, write_reports

    if not isinstance(plan, Plan):
        plan = load_plan(plan or SEED_PLAN)
    files, branches = collect_inputs(list(inputs) if inputs else [SAMPLES_DIR])
    classifier = load_classifier(plan, models)
    items: list = []
    for n, f in enumerate(files, 1):
        try:
            items.append(process_file(f, classifier))
        except InputError as e:
            log.error("%s", e)
            items.append(DocumentError.from_exception(f, e))
        except PlancovError as e:
            log.error("%s: %s", f, e)
            items.append(DocumentError(os.fspath(f), "classify", str(e)))
        if progress:
            progress(n, len(files), os.fspath(f))
    result = compute_coverage(plan, items, branches=branches or None)
    written = write_reports(result, out_dir, lang=lang, formats=tuple(formats or FORMATS)) if out_dir else []
    errors = sum(1 for it in items if isinstance(it, DocumentError))
    return RunOutcome(result, written, errors)
