"""Honest evaluation: metrics of a classifier on held-out labelled documents."""

from __future__ import annotations

from collections import Counter

import numpy as np

from ..types import KINDS, Plan
from .data import Gold


def prf(tp: int, fp: int, fn: int) -> dict:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "support": tp + fn}


def _set_metrics(gold: list[set], pred: list[set], labels) -> dict:
    per = {}
    TP = FP = FN = 0
    for lab in labels:
        tp = sum(1 for g, p in zip(gold, pred) if lab in g and lab in p)
        fp = sum(1 for g, p in zip(gold, pred) if lab not in g and lab in p)
        fn = sum(1 for g, p in zip(gold, pred) if lab in g and lab not in p)
        per[lab] = prf(tp, fp, fn)
        TP, FP, FN = TP + tp, FP + fp, FN + fn
    macro = float(np.mean([v["f1"] for v in per.values() if v["support"]])) if per else 0.0
    return {"micro": prf(TP, FP, FN), "macro_f1": round(macro, 4), "per_label": per}


def evaluate_predictions(plan: Plan, gold: Gold, kinds_pred: list[str], req_scores: list[dict[str, float]],
                         thresholds: dict[str, float], gold_evidence_scores: list[dict[str, float]] | None = None,
                         missing_thresholds: dict[str, float] | None = None) -> dict:
    """Metrics from per-paragraph predictions.

    Args:
        kinds_pred: predicted kind per paragraph.
        req_scores: per paragraph, requirement → score (end to end: empty unless predicted evidence).
        thresholds: requirement → score needed to count as predicted (the "covered" threshold).
        gold_evidence_scores: per paragraph, scores computed as if the paragraph were evidence
            (to measure requirement assignment on gold evidence alone).
        missing_thresholds: requirement → the score below which a document's best evidence
            leaves the requirement 缺失 (missing): the weak threshold. Defaults to ``thresholds``.
    """
    labels = plan.requirement_ids
    area = {r.id: r.area_id for r in plan.requirements}
    out: dict = {}
    # kinds
    per_kind = {}
    for k in KINDS:
        tp = sum(1 for g, p in zip(gold.kinds, kinds_pred) if g == k and p == k)
        fp = sum(1 for g, p in zip(gold.kinds, kinds_pred) if g != k and p == k)
        fn = sum(1 for g, p in zip(gold.kinds, kinds_pred) if g == k and p != k)
        per_kind[k] = prf(tp, fp, fn)
    out["kind"] = {"accuracy": round(float(np.mean([g == p for g, p in zip(gold.kinds, kinds_pred)])), 4),
                   "per_kind": per_kind, "evidence_f1": per_kind["evidence"]["f1"],
                   "confusion": {f"{g}->{p}": c for (g, p), c in Counter(
                       (g, p) for g, p in zip(gold.kinds, kinds_pred) if g != p).most_common(8)}}

    def predicted_sets(scores):
        return [{r for r, s in sc.items() if s >= thresholds.get(r, 0.5)} for sc in scores]

    gold_sets = [set(r) for r in gold.reqs]
    e2e = predicted_sets(req_scores)
    out["requirements_end_to_end"] = _set_metrics(gold_sets, e2e, labels)
    out["areas_end_to_end"] = _set_metrics([{area[r] for r in g} for g in gold_sets],
                                           [{area[r] for r in p} for p in e2e], sorted(set(area.values())))
    if gold_evidence_scores is not None:
        ev = gold.evidence_rows
        ge = predicted_sets([gold_evidence_scores[i] for i in ev])
        gs = [gold_sets[i] for i in ev]
        out["requirements_on_gold_evidence"] = _set_metrics(gs, ge, labels)
        out["areas_on_gold_evidence"] = _set_metrics([{area[r] for r in g} for g in gs],
                                                     [{area[r] for r in p} for p in ge], sorted(set(area.values())))
        confused = Counter()
        for g, p in zip(gs, ge):
            for a in g - p:
                for b in p - g:
                    confused[(a, b)] += 1
        out["confused_pairs"] = [{"gold": a, "predicted": b, "count": c} for (a, b), c in confused.most_common(10)]
    # document-level gaps: a requirement the report would mark 缺失 (no evidence paragraph even at
    # the weak threshold) against one with no gold evidence in the document
    present = [{r for r, s in sc.items() if s >= (missing_thresholds or thresholds).get(r, 0.5)} for sc in req_scores]
    tp = fp = fn = tn = 0
    for n in range(len(gold.docs)):
        rows = np.flatnonzero(gold.groups == n)
        g_cov = set().union(*(gold_sets[i] for i in rows)) if len(rows) else set()
        p_cov = set().union(*(present[i] for i in rows)) if len(rows) else set()
        for r in labels:
            gm, pm = r not in g_cov, r not in p_cov
            tp += gm and pm
            fp += pm and not gm
            fn += gm and not pm
            tn += not gm and not pm
    out["gap_detection"] = {**prf(tp, fp, fn), "true_covered": tn}
    return out


def summary_line(m: dict) -> str:
    """One line of the headline figures."""
    parts = [f"evidence F1 {m['kind']['evidence_f1']:.3f}", f"kind acc {m['kind']['accuracy']:.3f}"]
    if "requirements_on_gold_evidence" in m:
        parts.append(f"req micro-F1 (gold evidence) {m['requirements_on_gold_evidence']['micro']['f1']:.3f}")
        parts.append(f"area micro-F1 (gold evidence) {m['areas_on_gold_evidence']['micro']['f1']:.3f}")
    parts.append(f"req micro-F1 (end to end) {m['requirements_end_to_end']['micro']['f1']:.3f}")
    parts.append(f"area micro-F1 (end to end) {m['areas_end_to_end']['micro']['f1']:.3f}")
    parts.append(f"gap F1 {m['gap_detection']['f1']:.3f}")
    return ", ".join(parts)


def format_report(report: dict) -> str:
    """The evaluation as a text report (what `plancov eval` prints)."""
    lines = [f"split {report['split']}: {report['documents']} documents, {report['paragraphs']} paragraphs; "
             f"shipped model: {report['model']}", ""]
    res = report["results"]
    names = list(res)
    rows = [
        ("evidence F1", lambda m: m["kind"]["evidence_f1"]),
        ("kind accuracy", lambda m: m["kind"]["accuracy"]),
        ("requirement micro-F1 (gold evidence)", lambda m: m["requirements_on_gold_evidence"]["micro"]["f1"]),
        ("requirement macro-F1 (gold evidence)", lambda m: m["requirements_on_gold_evidence"]["macro_f1"]),
        ("requirement micro-F1 (end to end)", lambda m: m["requirements_end_to_end"]["micro"]["f1"]),
        ("area micro-F1 (gold evidence)", lambda m: m["areas_on_gold_evidence"]["micro"]["f1"]),
        ("area micro-F1 (end to end)", lambda m: m["areas_end_to_end"]["micro"]["f1"]),
        ("gap detection precision", lambda m: m["gap_detection"]["precision"]),
        ("gap detection recall", lambda m: m["gap_detection"]["recall"]),
        ("gap detection F1", lambda m: m["gap_detection"]["f1"]),
    ]
    lines.append(f"{'':<40}" + "".join(f"{n:>10}" for n in names))
    for label, f in rows:
        lines.append(f"{label:<40}" + "".join(f"{f(res[n]):>10.3f}" for n in names))
    m = res["model"]
    lines += ["", "per kind (model):"]
    for k, v in m["kind"]["per_kind"].items():
        lines.append(f"  {k:<12} P {v['precision']:.3f}  R {v['recall']:.3f}  F1 {v['f1']:.3f}  n={v['support']}")
    lines += ["", "per requirement on gold evidence (model):"]
    for r, v in m["requirements_on_gold_evidence"]["per_label"].items():
        lines.append(f"  {r:<8} P {v['precision']:.3f}  R {v['recall']:.3f}  F1 {v['f1']:.3f}  n={v['support']}")
    lines += ["", "most confused requirement pairs (gold -> predicted instead):"]
    for c in m.get("confused_pairs", [])[:8]:
        lines.append(f"  {c['gold']} -> {c['predicted']}: {c['count']}")
    if "cross_validation" in report:
        cv = report["cross_validation"]
        lines += ["", f"grouped {cv['folds']}-fold cross-validation by document over train+dev "
                      f"({cv['documents']} documents; {cv['model']}):"]
        for k, v in cv.items():
            if isinstance(v, dict):
                lines.append(f"  {k:<34} {v['mean']:.3f} ± {v['std']:.3f}")
    return "\n".join(lines) + "\n"
