"""Write the notebooks of this folder from the cell sources below.

The ``.ipynb`` files are generated, so their diffs stay readable and they are always stored
without outputs: edit the cells here, then run ``python notebooks/make_notebooks.py`` and commit
both. ``tests/test_notebooks.py`` checks that the stored notebooks match this script, carry no
outputs, and run top to bottom on a fresh kernel. The logic lives in the package
(:mod:`pipeline.frames`); cells only call it and show the results.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def md(text: str) -> tuple[str, str]:
    return "markdown", textwrap.dedent(text).strip()


def code(text: str) -> tuple[str, str]:
    return "code", textwrap.dedent(text).strip()


EXPLORE = [
    md("""
    # Exploring a batch of summaries

    Runs the bundled seed plan (the 2022 模范机关创建 implementation plan) over the bundled sample
    summaries, then looks at the result: which branches cover which requirements, how one summary
    reads to the model, where the classifier hesitates, and which requirements are most often
    missing. To explore a real batch, point `PLAN` and `SUMMARIES` at your own files.

    Everything goes through the `pipeline` package; the tables and plots come from
    `pipeline.frames` (`pip install "plancov[notebook]"`).
    """),
    code("""
    import pandas as pd

    import pipeline
    from pipeline import frames

    pd.set_option("display.max_colwidth", 60)
    pd.set_option("display.max_rows", 80)

    PLAN = pipeline.SEED_PLAN            # or "path/to/实施方案.docx"
    SUMMARIES = pipeline.SAMPLES_DIR     # or a folder of .txt/.docx/.pdf summaries
    """),
    md("""
    ## The plan

    The requirement catalog: ids are the numeric path of the plan's own numbering.
    """),
    code("""
    plan = pipeline.load_plan(PLAN)
    print(plan.title, "—", len(plan.areas), "areas,", len(plan.requirements), "requirements")
    frames.plan_frame(plan)[["requirement", "area", "area_title", "title"]]
    """),
    md("""
    ## Run

    Read, classify and cover every summary. No report files are written here
    (`pipeline.run(..., out_dir="report/")` would write them).
    """),
    code("""
    print("\\n".join(sorted(p.name for p in SUMMARIES.iterdir())))
    result = pipeline.run(SUMMARIES, plan)
    print(f"{len(result.documents)} documents; {result.percent_covered:.1f}% of (document, requirement) pairs covered")
    frames.documents_frame(result)[["doc_id", "branch", "status", "paragraphs", "evidence",
                                    "covered", "weak", "missing", "percent_covered"]]
    """),
    md("""
    ## Branch × requirement matrix

    Green 已覆盖 (covered), amber 证据不足 (weak evidence only), red 缺失 (missing); lines separate
    the task areas. Branch names are drawn in a CJK font when one is installed (on Debian:
    `apt-get install fonts-noto-cjk`); without one the rows are labelled B1, B2 … and the table
    under the plot names them.
    """),
    code("""
    ax, legend = frames.plot_matrix(result, by="branch")
    print("font for Chinese labels:", frames.cjk_font() or "none installed; rows labelled by id")
    legend
    """),
    code("""
    frames.matrix_frame(result, by="branch")
    """),
    md("""
    ## One branch's summary, as the model reads it

    The least covered summary: every paragraph's kind (evidence / heading / boilerplate / problem /
    plan) with its confidence, and for evidence paragraphs the requirements they count for.
    """),
    code("""
    docs = frames.documents_frame(result)
    weakest = docs[docs["status"] == "ok"].sort_values("percent_covered").iloc[0]
    print(f"{weakest['branch']} — {weakest['doc_id']} ({weakest['percent_covered']:.0f}% covered)")
    paras = frames.paragraphs_frame(result)
    mine = paras[paras["doc_id"] == weakest["doc_id"]]
    mine[["index", "page", "kind", "kind_score", "requirements", "score", "text"]]
    """),
    code("""
    pd.crosstab(paras["doc_id"], paras["kind"])
    """),
    md("""
    The strongest quote behind each requirement of that summary, then what it lacks.
    """),
    code("""
    evidence = frames.evidence_frame(result)
    evidence[(evidence["doc_id"] == weakest["doc_id"]) & (evidence["rank"] == 1)][
        ["requirement", "status", "score", "terms", "text"]]
    """),
    code("""
    gaps = frames.gaps_frame(result, include_weak=True)
    gaps[gaps["doc_id"] == weakest["doc_id"]][["requirement", "title", "status", "score"]]
    """),
    md("""
    ## Where the classifier hesitates

    `confidence` is the probability of the paragraph's kind, times the best requirement score for
    an evidence paragraph. Low values are paragraphs whose kind is uncertain, or evidence that
    matches no requirement well: the ones a reviewer should read first.
    """),
    code("""
    frames.least_confident(result, n=12)[["doc_id", "index", "kind", "kind_score", "requirement",
                                          "score", "confidence", "text"]]
    """),
    md("""
    ## Requirements most often missing
    """),
    code("""
    reqs = frames.requirements_frame(result)
    reqs.sort_values(["missing", "weak"], ascending=False).head(8)
    """),
    code("""
    statuses = ["covered", "weak", "missing"]
    ax = reqs.set_index("requirement")[statuses].plot.barh(
        stacked=True, color=[frames.STATUS_COLORS[s] for s in statuses], edgecolor="#8a939c", figsize=(7, 6))
    ax.invert_yaxis()
    ax.set_xlabel("documents")
    ax.set_title("Documents per status, by requirement", loc="left");
    """),
    code("""
    most_missed = reqs.sort_values("missing", ascending=False).iloc[0]
    print(most_missed["requirement"], most_missed["title"])
    gaps[gaps["requirement"] == most_missed["requirement"]][["branch", "status", "score"]]
    """),
]

MODEL_EVAL = [
    md("""
    # How good are the shipped models?

    Evaluates the models in `models/` on the corpus's **test split**: summaries from agencies that
    appear in neither train nor dev, never used for fitting or tuning (the models are fitted on
    train+dev with thresholds tuned on dev; see `models/MODEL_CARD.md`). The figures are those of
    `plancov eval`; everything is computed by `pipeline.classifiers.train` and `pipeline.frames`.
    """),
    code("""
    import json

    import pandas as pd

    import pipeline
    from pipeline import frames
    from pipeline.classifiers import MODELS_DIR
    from pipeline.classifiers.train import evaluate_models

    pd.set_option("display.max_colwidth", 90)
    pd.set_option("display.max_rows", 80)

    plan = pipeline.load_plan(pipeline.SEED_PLAN)
    meta = json.loads((MODELS_DIR / "metadata.json").read_text(encoding="utf-8"))
    {k: meta.get(k) for k in ("default", "weights", "fitted_on", "tuned_on", "splits")}
    """),
    md("""
    ## Headline figures

    `model` is the shipped default (chosen on dev), `matcher` the plan-agnostic matcher alone (what a plan without
    a trained model gets), `vsm` a TF-IDF cosine baseline. All three share the kind model, so the
    kind figures agree.
    """),
    code("""
    report = evaluate_models(split="test")
    print(report["documents"], "documents,", report["paragraphs"], "paragraphs; shipped model:", report["model"])
    frames.summary_frame(report)
    """),
    md("""
    ## Per requirement

    Precision, recall and F1 of requirement assignment on gold evidence paragraphs (given that a
    paragraph reports work, which requirements does it serve?), weakest first; then end to end,
    and the paragraph kinds.
    """),
    code("""
    model = report["results"]["model"]
    frames.scores_frame(model["requirements_on_gold_evidence"], plan=plan).sort_values(["f1", "label"])
    """),
    code("""
    frames.scores_frame(model["requirements_end_to_end"], plan=plan).sort_values(["f1", "label"]).head(8)
    """),
    code("""
    frames.scores_frame(model["kind"])
    """),
    md("""
    ## Confusion between requirements

    On gold evidence paragraphs of the test split: how often a gold requirement (row) was missed
    while another (column) was predicted instead. The `(none)` column counts misses with nothing
    predicted in their place, the `(none)` row extra ids predicted beside a correct set.
    """),
    code("""
    test = frames.gold_frame("test")
    confusion = frames.confusion_frame(test, labels=plan.requirement_ids)
    frames.plot_confusion(confusion, title="gold requirement missed → predicted instead (test split)");
    """),
    code("""
    frames.confused_pairs(confusion, plan=plan)
    """),
    code("""
    frames.confusion_frame(test, "kinds")
    """),
    md("""
    ## Errors, with examples

    Each test paragraph is `ok`, or wrong in its `kind`, its `requirements`, or `both`.
    """),
    code("""
    test["error"].value_counts()
    """),
    code("""
    wrong_reqs = test[test["error"].isin(["requirements", "both"])]
    wrong_reqs[["doc_id", "line", "gold_requirements", "requirements", "missed", "spurious", "scores", "text"]]
    """),
    code("""
    titles = {r.id: r.title for r in plan.requirements}
    for row in wrong_reqs.head(6).itertuples():
        print(f"{row.doc_id} line {row.line}: gold {', '.join(row.gold_requirements) or '-'}"
              f" / predicted {', '.join(row.requirements) or '-'}")
        for rid in row.missed:
            print(f"   missed   {rid} {titles[rid]} (score {row.scores.get(rid, 0.0):.2f})")
        for rid in row.spurious:
            print(f"   spurious {rid} {titles[rid]} (score {row.scores.get(rid, 0.0):.2f})")
        print("  ", row.text[:150])
    """),
    code("""
    test[test["error"].isin(["kind", "both"])][["doc_id", "line", "gold_kind", "kind", "text"]]
    """),
]

NOTEBOOKS = {"01_explore.ipynb": EXPLORE, "02_model_eval.ipynb": MODEL_EVAL}


def build(name: str) -> nbformat.NotebookNode:
    """The notebook ``name`` (a key of :data:`NOTEBOOKS`), without outputs."""
    stem = name.split("_", 1)[0]
    cells = []
    for n, (kind, source) in enumerate(NOTEBOOKS[name], 1):
        # Fixed ids keep regenerated files byte-identical.
        cell_id = f"c{stem}-{n:02d}"
        cells.append(new_markdown_cell(source, id=cell_id) if kind == "markdown" else new_code_cell(source, id=cell_id))
    nb = new_notebook(cells=cells, metadata={"kernelspec": dict(KERNELSPEC),
                                             "language_info": {"name": "python"}})
    nbformat.validate(nb)
    return nb


def render(name: str) -> str:
    """The stored text of notebook ``name``."""
    return nbformat.writes(build(name)) + "\n"


def main(argv: list[str] | None = None) -> int:
    for name in NOTEBOOKS:
        (HERE / name).write_text(render(name), encoding="utf-8")
        sys.stderr.write(f"wrote notebooks/{name}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
