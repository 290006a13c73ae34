"""Predictions built by hand for coverage and report tests, hostile text included."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from pipeline.coverage import DocumentError, compute_coverage
from pipeline.types import Document, Paragraph, ParagraphPrediction, Plan, Prediction, RequirementScore, Thresholds

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus" / "plans" / "seed_2022_model_organ.txt"
#: A fixed report time, so golden files do not depend on the clock.
CREATED = datetime(2024, 1, 15, 9, 30, tzinfo=timezone(timedelta(hours=8)))
TH = Thresholds(low=0.3, high=0.5)

HOSTILE = {
    "script": "<script>alert(1)</script>",
    "img": '"><img src=x onerror=alert(1)>',
    "js_url": "javascript:alert(1)",
    "close_script": "支部在学习中写道</script><script>alert(2)</script>",
    "hyperlink": '=HYPERLINK("http://x","y")',
    "plus": "+1+1",
    "at": "@SUM(A1)",
    "minus": "-2",
    "tab": "\t制表符开头的段落",
    "cr": "\r回车开头的段落",
    "form_feed": "第一页结束\x0c第二页开始",
    "controls": "控制\x01字符\x1b与\x7f删除符",
    "surrogate": "孤立代理\ud800字符",
}
HOSTILE_FILE = 'summaries/<img src=x onerror=alert(1)>&amp;.txt'


def load_seed_plan() -> Plan:
    """The seed plan; parsed from its lines directly if the readers are unavailable."""
    from pipeline.plan import load_plan, parse_plan

    try:
        return load_plan(SEED)
    except ImportError:
        lines = [x for x in SEED.read_text(encoding="utf-8").splitlines() if x.strip()]
        doc = Document(path=str(SEED), format="txt",
                       paragraphs=tuple(Paragraph(index=i, text=t) for i, t in enumerate(lines)))
        return parse_plan(doc)


def make_prediction(plan: Plan, path: str, paras: list[tuple[str, str, dict[str, float]]], *,
                    terms: dict[str, tuple[str, ...]] | None = None, pages: bool = False,
                    thresholds: dict[str, Thresholds] | None = None, model: str = "test-model 1") -> Prediction:
    """A prediction from ``(text, kind, {rid: score})`` rows."""
    terms = terms or {}
    doc = Document(path=path, format="pdf" if pages else "txt",
                   paragraphs=tuple(Paragraph(index=i, text=t, page=(i // 4 + 1) if pages else None,
                                              line=None if pages else i + 1)
                                    for i, (t, _, _) in enumerate(paras)),
                   pages=(len(paras) // 4 + 1) if pages else None)
    preds = tuple(
        ParagraphPrediction(index=i, kind=kind, kind_score=0.9,
                            requirements=tuple(RequirementScore(rid, s, terms.get(rid, ()))
                                               for rid, s in sorted(scores.items(), key=lambda x: -x[1])))
        for i, (_, kind, scores) in enumerate(paras))
    th = thresholds if thresholds is not None else {rid: TH for rid in plan.requirement_ids}
    return Prediction(document=doc, paragraphs=preds, plan_sha256=plan.sha256, model=model, thresholds=th)


def sample_items(plan: Plan) -> list:
    """Five documents: a typical branch, a hostile one, one named only by an HTML-laden file name,
    a fully covered one, and one that failed to read."""
    rids = plan.requirement_ids
    a = make_prediction(plan, "summaries/s001.txt", [
        ("中共澜州市税务局机关第三支部委员会", "boilerplate", {}),
        ("关于2021年度创建模范机关工作情况的总结", "boilerplate", {}),
        ("一、把牢政治方向", "heading", {}),
        ("支部严格落实第一议题制度，全年召开支委会12次，专题学习习近平总书记重要讲话精神。",
         "evidence", {"2.1.1": 0.82, "2.2.1": 0.64}),
        ("严格执行“三会一课”制度，全年开展主题党日12次，组织生活会1次。", "evidence", {"2.3.2": 0.91}),
        ("开展“我为群众办实事”活动，办理群众诉求36件。", "evidence", {"2.6.2": 0.41}),
        ("党员学习积极性还不够高，理论联系实际不够紧密。", "problem", {}),
        ("明年将持续整治“四风”，深化模范机关创建。", "plan", {}),
    ], terms={"2.1.1": ("第一议题",), "2.2.1": ("习近平总书记",), "2.3.2": ("三会一课", "主题党日"),
              "2.6.2": ("办实事",)})
    hostile = make_prediction(plan, "summaries/s002.txt", [
        ("中共枫浦市税务局稽查局支部委员会", "boilerplate", {}),
        (HOSTILE["script"] + "支部开展主题党日活动", "evidence", {"2.3.2": 0.88}),
        (HOSTILE["img"] + "落实第一议题制度", "evidence", {"2.1.1": 0.77}),
        (HOSTILE["js_url"], "evidence", {"2.1.2": 0.66}),
        (HOSTILE["close_script"], "evidence", {"2.2.1": 0.71}),
        (HOSTILE["hyperlink"], "evidence", {"2.2.2": 0.62}),
        (HOSTILE["plus"], "evidence", {"2.2.3": 0.33}),
        (HOSTILE["at"], "evidence", {"2.3.1": 0.58}),
        (HOSTILE["minus"], "evidence", {"2.3.3": 0.52}),
        (HOSTILE["tab"], "evidence", {"2.4.1": 0.55}),
        (HOSTILE["cr"], "evidence", {"2.4.2": 0.56}),
        (HOSTILE["form_feed"], "evidence", {"2.4.3": 0.57}),
        (HOSTILE["controls"], "evidence", {"2.5.1": 0.59}),
        (HOSTILE["surrogate"], "evidence", {"2.5.2": 0.61}),
    ], terms={"2.3.2": ("主题党日",), "2.1.1": ("第一议题",), "2.2.1": ("</script>",)}, pages=True)
    named_by_file = make_prediction(plan, HOSTILE_FILE, [
        ("2022年度工作总结", "boilerplate", {}),
        ("全年开展志愿服务活动8次，服务群众300余人次。", "evidence", {"2.6.4": 0.74}),
    ], terms={"2.6.4": ("志愿服务",)})
    full = make_prediction(plan, "summaries/s003.txt",
                           [("北渚区财政局机关第二党支部", "boilerplate", {})]
                           + [(f"支部扎实推进第{n}项工作，取得实效（对应要求{rid}）。", "evidence", {rid: 0.9})
                              for n, rid in enumerate(rids, start=1)])
    failed = DocumentError("summaries/s004.doc", "read",
                           "legacy Word/WPS or encrypted Office file (OLE container) is not supported; "
                           "open it and save it as .docx")
    return [a, hostile, named_by_file, full, failed]


def sample_result(plan: Plan | None = None):
    plan = plan or load_seed_plan()
    return compute_coverage(plan, sample_items(plan))
