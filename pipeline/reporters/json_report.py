"""``coverage.json``: the machine-readable report, and reading it back.

The shape is described by ``pipeline/schemas/coverage.schema.json``; :func:`load_coverage_json`
validates against it, so the ``plancov report`` command can re-render every report from the file.

Format versions (bump on any change of shape, and log it here):
  1: first version: ``format_version``, ``meta`` (generator, created, models, thresholds),
     ``plan`` (title, path, sha256, areas ► requirements), ``documents`` (each with its paragraphs,
     coverage and numbers; error rows with ``error`` and ``stage``), ``totals``, ``per_area``,
     ``per_requirement``, ``per_branch``.
"""

from __future__ import annotations

import functools
import json
import logging
import os
from datetime import datetime
from importlib import resources
from pathlib import Path

from ..coverage import CoverageResult, DocumentCoverage, Numbers, RequirementCoverage
from ..errors import InputError
from ..types import Area, Document, Paragraph, ParagraphPrediction, Plan, Prediction, Requirement, RequirementScore, Thresholds
from . import clean_text
from .atomic import write_atomic

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
FILE_NAME = "coverage.json"


def _numbers(n: Numbers) -> dict:
    return {"covered": n.covered, "weak": n.weak, "missing": n.missing, "total": n.total,
            "percent_covered": round(n.percent_covered, 2)}


def _document(d: DocumentCoverage) -> dict:
    out: dict = {"doc_id": clean_text(d.doc_id), "path": clean_text(d.path), "branch": clean_text(d.branch),
                 "unit": clean_text(d.unit) if d.unit else None, "branch_source": d.branch_source,
                 "status": d.status, "error": clean_text(d.error) if d.error else None, "stage": d.stage}
    pred = d.prediction
    if pred is None:
        out.update(model=None, format=None, pages=None, paragraphs=[], coverage={}, numbers=_numbers(d.numbers))
        return out
    doc = pred.document
    paras = []
    for p in doc.paragraphs:
        pp = pred.paragraphs[p.index] if p.index < len(pred.paragraphs) else None
        paras.append({
            "index": p.index, "text": clean_text(p.text), "page": p.page, "line": p.line,
            "kind": pp.kind if pp else None, "kind_score": round(float(pp.kind_score), 4) if pp else None,
            "requirements": [{"id": r.id, "score": round(float(r.score), 4), "terms": [clean_text(t) for t in r.terms]}
                             for r in (pp.requirements if pp else ())],
        })
    out.update(model=clean_text(pred.model), format=doc.format, pages=doc.pages, paragraphs=paras,
               coverage={rid: {"status": rc.status, "score": round(rc.score, 4), "evidence": list(rc.evidence)}
                         for rid, rc in d.requirements.items()},
               numbers=_numbers(d.numbers))
    return out


def coverage_to_dict(result: CoverageResult, *, created: datetime | None = None) -> dict:
    """The result as a JSON-ready dict in the documented shape (``format_version`` 1)."""
    from .. import __version__

    plan = result.plan
    return {
        "format_version": FORMAT_VERSION,
        "meta": {"generator": f"plancov {__version__}",
                 "created": created.isoformat() if created else None,
                 "models": [clean_text(m) for m in result.models],
                 "thresholds": {rid: {"low": t.low, "high": t.high} for rid, t in result.thresholds.items()}},
        "plan": {"title": clean_text(plan.title), "path": clean_text(plan.path), "sha256": plan.sha256,
                 "task_section": plan.task_section,
                 "areas": [{"id": a.id, "title": clean_text(a.title), "text": clean_text(a.text),
                            "requirements": [{"id": r.id, "title": clean_text(r.title), "text": clean_text(r.text)}
                                             for r in a.requirements]}
                           for a in plan.areas]},
        "documents": [_document(d) for d in result.documents],
        "totals": {**_numbers(result.totals), "documents": len(result.ok_documents),
                   "errors": len(result.error_documents)},
        "per_area": {k: _numbers(v) for k, v in result.per_area.items()},
        "per_requirement": {k: _numbers(v) for k, v in result.per_requirement.items()},
        "per_branch": {clean_text(k): _numbers(v) for k, v in result.per_branch.items()},
    }


def dumps(data: dict) -> str:
    """JSON text as written to ``coverage.json`` (UTF-8, readable Chinese, stable key order)."""
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


class JsonReporter:
    """Writes ``coverage.json``."""

    format = "json"

    def write(self, result: CoverageResult, out_dir: Path, *, lang: str = "zh", created: datetime | None = None) -> list[Path]:
        """Write ``out_dir/coverage.json`` atomically."""
        return [write_atomic(out_dir / FILE_NAME, dumps(coverage_to_dict(result, created=created)))]


@functools.lru_cache(maxsize=1)
def schema() -> dict:
    """The JSON Schema of ``coverage.json``."""
    text = resources.files("pipeline").joinpath("schemas", "coverage.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


@functools.lru_cache(maxsize=1)
def _validator(jsonschema):
    cls = jsonschema.Draft202012Validator
    return cls(schema(), format_checker=cls.FORMAT_CHECKER)


def validate(data: object, path: str | os.PathLike[str] | None = None) -> None:
    """Check ``data`` against the schema.

    Raises:
        InputError: naming ``path``, the first offending place in the data, and what was expected.
    """
    try:
        import jsonschema
    except ImportError:  # pragma: no cover - a declared dependency
        raise ImportError("Reading coverage.json needs jsonschema: pip install jsonschema") from None
    validator = _validator(jsonschema)
    errors = sorted(validator.iter_errors(data), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))))
    if errors:
        e = errors[0]
        where = "/".join(str(p) for p in e.absolute_path) or "(top level)"
        raise InputError(path, f"not a plancov coverage.json (format_version {FORMAT_VERSION}): "
                               f"at {where}: {e.message}")


def _plan_from(d: dict) -> Plan:
    areas = tuple(Area(id=a["id"], title=a["title"], text=a.get("text", ""),
                       requirements=tuple(Requirement(id=r["id"], title=r["title"], text=r.get("text", ""), area_id=a["id"])
                                          for r in a["requirements"]))
                  for a in d["areas"])
    return Plan(title=d["title"], path=d.get("path", ""), sections=(), task_section=d.get("task_section", ""),
                areas=areas, sha256=d.get("sha256", ""))


def _document_from(d: dict, plan: Plan, thresholds: dict[str, Thresholds], path) -> DocumentCoverage:
    rids = plan.requirement_ids
    if d["status"] == "error":
        return DocumentCoverage(doc_id=d["doc_id"], path=d["path"], branch=d["branch"], unit=d.get("unit"),
                                status="error", error=d.get("error") or "", stage=d.get("stage") or "read",
                                prediction=None, requirements={}, branch_source=d.get("branch_source", "file"))
    paragraphs = d["paragraphs"]
    for n, p in enumerate(paragraphs):
        if p["index"] != n:
            raise InputError(path, f"document {d['doc_id']!r}: paragraph {n} has index {p['index']}; "
                                   "indices must run 0, 1, 2 ...")
    doc = Document(path=d["path"], format=d.get("format") or "txt", pages=d.get("pages"),
                   paragraphs=tuple(Paragraph(index=p["index"], text=p["text"], page=p.get("page"), line=p.get("line"))
                                    for p in paragraphs))
    preds = tuple(ParagraphPrediction(index=p["index"], kind=p.get("kind") or "boilerplate",
                                      kind_score=float(p.get("kind_score") or 0.0),
                                      requirements=tuple(RequirementScore(r["id"], float(r["score"]), tuple(r.get("terms", ())))
                                                         for r in p.get("requirements", ())))
                  for p in paragraphs)
    prediction = Prediction(document=doc, paragraphs=preds, plan_sha256=plan.sha256, model=d.get("model") or "",
                            thresholds=dict(thresholds))
    cov = d["coverage"]
    extra = sorted(set(cov) - set(rids))
    lacking = [r for r in rids if r not in cov]
    if extra or lacking:
        raise InputError(path, f"document {d['doc_id']!r}: its coverage ids do not match the plan "
                               f"(unknown: {', '.join(extra) or 'none'}; absent: {', '.join(lacking) or 'none'})")
    for rid in rids:
        bad = [i for i in cov[rid]["evidence"] if i >= len(paragraphs)]
        if bad:
            raise InputError(path, f"document {d['doc_id']!r}: evidence for {rid} names paragraph {bad[0]}, "
                                   f"but the document has {len(paragraphs)}")
    reqs = {rid: RequirementCoverage(rid, cov[rid]["status"], float(cov[rid]["score"]), tuple(cov[rid]["evidence"]))
            for rid in rids}
    return DocumentCoverage(doc_id=d["doc_id"], path=d["path"], branch=d["branch"], unit=d.get("unit"),
                            status="ok", error=None, stage=None, prediction=prediction, requirements=reqs,
                            branch_source=d.get("branch_source", "file"))


def coverage_from_dict(data: dict, path: str | os.PathLike[str] | None = None) -> CoverageResult:
    """A :class:`CoverageResult` from a validated ``coverage.json`` dict (roll-ups recomputed)."""
    validate(data, path)
    plan = _plan_from(data["plan"])
    thresholds = {rid: Thresholds(low=float(t["low"]), high=float(t["high"]))
                  for rid, t in data["meta"]["thresholds"].items()}
    docs = [_document_from(d, plan, thresholds, path) for d in data["documents"]]
    return CoverageResult.from_documents(plan, docs, thresholds=thresholds, models=data["meta"]["models"])


def load_coverage_json(path: str | os.PathLike[str]) -> CoverageResult:
    """Read a ``coverage.json`` written by plancov back into a :class:`CoverageResult`.

    Raises:
        InputError: the file is missing, not JSON, or not in the documented shape (the message
            names the offending place).
    """
    p = Path(path)
    try:
        text = p.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except IsADirectoryError:
        raise InputError(path, "is a folder; give the coverage.json file inside it") from None
    except UnicodeDecodeError:
        raise InputError(path, "not UTF-8 text; expected a coverage.json written by plancov") from None
    except OSError as e:
        raise InputError(path, f"cannot open the file ({e.strerror})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(path, f"not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
    if isinstance(data, dict) and data.get("format_version") not in (None, FORMAT_VERSION) \
            and isinstance(data.get("format_version"), int):
        raise InputError(path, f"format_version {data['format_version']} is not supported; this plancov "
                               f"reads format_version {FORMAT_VERSION}")
    return coverage_from_dict(data, path)


__all__ = ["FORMAT_VERSION", "FILE_NAME", "JsonReporter", "coverage_to_dict", "coverage_from_dict",
           "load_coverage_json", "schema", "validate", "dumps"]
