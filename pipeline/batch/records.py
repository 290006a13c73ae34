"""The plain records that carry one file's outcome from a worker to the parent.

A worker replies with a JSON object:

- ``{"status": "ok", "prediction": {...}, "stats": {...}}`` for a classified file;
- ``{"status": "error", "stage": "read", "reason": "...", "transient": false, "stats": {...}}``
  for a file that failed. ``transient`` marks failures that depend on the run rather than on the
  bytes (time limit, memory cap, a worker killed): they are retried by a later run.

:func:`prediction_to_record` and :func:`prediction_from_record` convert a
:class:`~pipeline.types.Prediction` to and from its record; the second checks every field, since
the record comes from a process that parsed an untrusted file.

Record versions (bump on any change of shape, and log it here):
  1: first version.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..types import KINDS, Document, Paragraph, ParagraphPrediction, Prediction, RequirementScore, Thresholds

RECORD_VERSION = 1


class BadRecord(ValueError):
    """A worker's reply is not in the documented shape."""


@dataclass(frozen=True, slots=True)
class Task:
    """One unit of work: the bytes with content hash ``sha256`` found at ``path``.

    Attributes:
        key: the cache key (content, plan, model and plancov version).
        path: the file, as given (used for messages and the record).
        sha256: the content hash the key was made from.
        size: the file size in bytes.
    """

    key: str
    path: str
    sha256: str
    size: int


def error_reply(stage: str, reason: str, *, transient: bool = False, stats: dict | None = None) -> dict:
    """The reply for a file that failed at ``stage``."""
    return {"status": "error", "stage": stage, "reason": reason, "transient": transient, "stats": stats or {}}


def prediction_to_record(pred: Prediction) -> dict:
    """A prediction (with its document) as a JSON-ready dict; the path is not included."""
    doc = pred.document
    paragraphs = []
    for p, pp in zip(doc.paragraphs, pred.paragraphs):
        paragraphs.append({
            "index": p.index, "text": p.text, "page": p.page, "style": p.style, "bold": p.bold,
            "indent": p.indent, "in_table": p.in_table,
            "table_row": list(p.table_row) if p.table_row is not None else None,
            "list_level": p.list_level, "line": p.line,
            "kind": pp.kind, "kind_score": pp.kind_score,
            "requirements": [[r.id, r.score, list(r.terms)] for r in pp.requirements],
        })
    return {"v": RECORD_VERSION, "format": doc.format, "encoding": doc.encoding, "pages": doc.pages,
            "warnings": list(doc.warnings), "model": pred.model, "plan_sha256": pred.plan_sha256,
            "thresholds": {rid: [t.low, t.high] for rid, t in pred.thresholds.items()},
            "paragraphs": paragraphs}


def _want(value: Any, types: type | tuple[type, ...], what: str, optional: bool = False) -> Any:
    if value is None and optional:
        return None
    # bool is an int subclass; an int field must not take True/False and vice versa
    if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
        raise BadRecord(f"{what} must be {types}; got {value!r}")
    if not isinstance(value, types):
        raise BadRecord(f"{what} must be {types}; got {type(value).__name__}")
    if isinstance(value, float) and not math.isfinite(value):
        raise BadRecord(f"{what} must be finite; got {value!r}")
    return value


def _num(value: Any, what: str, optional: bool = False) -> float | None:
    # kept as sent (int or float): the record reproduces the reader's values exactly
    return _want(value, (int, float), what, optional)


def prediction_from_record(rec: Any, path: str) -> Prediction:
    """The :class:`Prediction` of a record, for the file at ``path``.

    Raises:
        BadRecord: a field is missing or of the wrong type.
    """
    try:
        if not isinstance(rec, dict) or rec.get("v") != RECORD_VERSION:
            raise BadRecord(f"record version must be {RECORD_VERSION}")
        paragraphs = []
        preds = []
        for n, d in enumerate(_want(rec["paragraphs"], list, "paragraphs")):
            _want(d, dict, "paragraph")
            if d["index"] != n or isinstance(d["index"], bool):
                raise BadRecord(f"paragraph {n} has index {d['index']!r}")
            row = _want(d["table_row"], list, "table_row", optional=True)
            if row is not None:
                if len(row) != 2:
                    raise BadRecord("table_row must have two numbers")
                row = (_want(row[0], int, "table_row"), _want(row[1], int, "table_row"))
            paragraphs.append(Paragraph(
                index=n, text=_want(d["text"], str, "text"), page=_want(d["page"], int, "page", True),
                style=_want(d["style"], str, "style", True), bold=_want(d["bold"], bool, "bold"),
                indent=_num(d["indent"], "indent", True), in_table=_want(d["in_table"], bool, "in_table"),
                table_row=row, list_level=_want(d["list_level"], int, "list_level", True),
                line=_want(d["line"], int, "line", True)))
            kind = _want(d["kind"], str, "kind")
            if kind not in KINDS:
                raise BadRecord(f"kind must be one of {KINDS}; got {kind!r}")
            reqs = []
            for r in _want(d["requirements"], list, "requirements"):
                rid, score, terms = _want(r, list, "requirement score")
                reqs.append(RequirementScore(_want(rid, str, "requirement id"), _num(score, "score"),
                                             tuple(_want(t, str, "term") for t in _want(terms, list, "terms"))))
            preds.append(ParagraphPrediction(index=n, kind=kind, kind_score=_num(d["kind_score"], "kind_score"),
                                             requirements=tuple(reqs)))
        thresholds = {}
        for rid, pair in _want(rec["thresholds"], dict, "thresholds").items():
            low, high = _want(pair, list, "thresholds")
            thresholds[rid] = Thresholds(low=_num(low, "low"), high=_num(high, "high"))
        doc = Document(path=path, format=_want(rec["format"], str, "format"), paragraphs=tuple(paragraphs),
                       encoding=_want(rec["encoding"], str, "encoding", True),
                       pages=_want(rec["pages"], int, "pages", True),
                       warnings=tuple(_want(w, str, "warning") for w in _want(rec["warnings"], list, "warnings")))
        return Prediction(document=doc, paragraphs=tuple(preds), plan_sha256=_want(rec["plan_sha256"], str, "plan_sha256"),
                          model=_want(rec["model"], str, "model"), thresholds=thresholds)
    except (KeyError, TypeError) as e:
        raise BadRecord(f"malformed record ({type(e).__name__}: {e})") from None
    except ValueError as e:  # unpacking a list of the wrong length
        if isinstance(e, BadRecord):
            raise
        raise BadRecord(f"malformed record ({e})") from None


__all__ = ["RECORD_VERSION", "BadRecord", "Task", "error_reply", "prediction_to_record", "prediction_from_record"]
