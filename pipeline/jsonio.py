"""Records to JSON-ready dicts, at the edge of the program only.

Format versions (bump on any change of shape, and log it here):
  plan 1: first version.
  plan 2: nodes carry "level", areas carry "text", the plan carries "preamble", so that
          plan_from_dict rebuilds the same Plan.
  document 1: first version.
  prediction 1: first version.
"""

from __future__ import annotations

from dataclasses import asdict

from .types import Document, Plan, PlanNode, Prediction

PLAN_FORMAT_VERSION = 2
DOCUMENT_FORMAT_VERSION = 1


def _node(n: PlanNode) -> dict:
    return {"id": n.id, "marker": n.marker, "title": n.title, "text": n.text, "level": n.level,
            "children": [_node(c) for c in n.children]}


def _node_from(d: dict) -> PlanNode:
    return PlanNode(id=d["id"], marker=d["marker"], title=d["title"], text=d["text"], level=d["level"],
                    children=tuple(_node_from(c) for c in d["children"]))


def plan_to_dict(plan: Plan) -> dict:
    """The plan as a JSON-ready dict: catalog (areas ► requirements) and the whole tree."""
    return {
        "format_version": PLAN_FORMAT_VERSION,
        "title": plan.title,
        "path": plan.path,
        "sha256": plan.sha256,
        "task_section": plan.task_section,
        "areas": [{"id": a.id, "title": a.title, "text": a.text,
                   "requirements": [{"id": r.id, "title": r.title, "text": r.text} for r in a.requirements]}
                  for a in plan.areas],
        "sections": [_node(s) for s in plan.sections],
        "preamble": plan.preamble,
    }


def plan_from_dict(d: dict) -> Plan:
    """The Plan that :func:`plan_to_dict` described (format 2)."""
    from .types import Area, Requirement

    if d.get("format_version") != PLAN_FORMAT_VERSION:
        raise ValueError(f"plan format_version must be {PLAN_FORMAT_VERSION}; got {d.get('format_version')!r}")
    areas = tuple(Area(id=a["id"], title=a["title"], text=a["text"],
                       requirements=tuple(Requirement(id=r["id"], title=r["title"], text=r["text"], area_id=a["id"])
                                          for r in a["requirements"]))
                  for a in d["areas"])
    return Plan(title=d["title"], path=d["path"], sections=tuple(_node_from(n) for n in d["sections"]),
                task_section=d["task_section"], areas=areas, preamble=d["preamble"], sha256=d["sha256"])


def document_to_dict(doc: Document) -> dict:
    """The document as a JSON-ready dict, one object per paragraph with its hints."""
    paras = []
    for p in doc.paragraphs:
        d = asdict(p)
        if d["table_row"] is not None:
            d["table_row"] = list(d["table_row"])
        paras.append(d)
    return {"format_version": DOCUMENT_FORMAT_VERSION, "path": doc.path, "format": doc.format,
            "encoding": doc.encoding, "pages": doc.pages, "warnings": list(doc.warnings),
            "paragraphs": paras}


PREDICTION_FORMAT_VERSION = 1


def prediction_to_dict(pred: Prediction) -> dict:
    """A classified document as a JSON-ready dict."""
    return {
        "format_version": PREDICTION_FORMAT_VERSION,
        "path": pred.document.path,
        "model": pred.model,
        "plan_sha256": pred.plan_sha256,
        "paragraphs": [
            {"index": pp.index, "text": p.text, "page": p.page, "kind": pp.kind, "kind_score": pp.kind_score,
             "requirements": [{"id": r.id, "score": r.score, "terms": list(r.terms)} for r in pp.requirements]}
            for p, pp in zip(pred.document.paragraphs, pred.paragraphs)
        ],
    }
