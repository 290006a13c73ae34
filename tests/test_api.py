"""The Python API (``import pipeline``) and its DataFrames, on the bundled samples and corpus.

Also runs the README's ``python`` code blocks and the docstring examples, so the documented
examples keep working.
"""

from __future__ import annotations

import doctest
import json
import math
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import pipeline
from pipeline import frames
from pipeline.coverage import DocumentError
from pipeline.types import KINDS

pd = pytest.importorskip("pandas")

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
HEAVY = ("pandas", "numpy", "scipy", "jieba", "spacy", "sklearn", "matplotlib", "pdfplumber", "docx", "opencc")


@pytest.fixture(scope="module")
def plan():
    return pipeline.load_plan(pipeline.SEED_PLAN)


@pytest.fixture(scope="module")
def result(plan):
    return pipeline.run(pipeline.SAMPLES_DIR, plan)


@pytest.fixture(scope="module")
def paragraphs(result):
    return frames.paragraphs_frame(result)


# --- the package surface ----------------------------------------------------------------------


def test_import_is_cheap():
    code = f"import json, sys, pipeline; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert json.loads(out.stdout) == []


@pytest.mark.parametrize("name", ["load_plan", "read", "classify", "compute_coverage", "run", "paragraphs_frame",
                                  "evidence_frame", "matrix_frame", "gaps_frame", "documents_frame",
                                  "requirements_frame", "to_frames"])
def test_api_functions_are_exported_and_documented(name):
    assert name in pipeline.__all__ and callable(getattr(pipeline, name))
    fn = getattr(pipeline, name)
    assert fn.__doc__ and "Example" in fn.__doc__ or name in ("read", "to_frames", "documents_frame")


def test_api_functions_are_not_shadowed_by_submodules(plan):
    import pipeline.classifiers.train as train
    import pipeline.coverage as coverage_module
    from pipeline.classifiers import load_classifier

    assert pipeline.classifiers.load_classifier is load_classifier
    assert train.evaluate_models and coverage_module.compute_coverage
    pred = pipeline.classify(pipeline.SAMPLES_DIR / "司法局第二支部2022年度总结.txt", plan)
    assert pipeline.compute_coverage(plan, [pred]).totals.total == len(plan.requirements)
    from pipeline import classify, compute_coverage

    assert callable(classify) and callable(compute_coverage)


def test_every_public_frames_function_is_documented():
    for name in frames.__all__:
        obj = getattr(frames, name)
        if callable(obj):
            assert obj.__doc__, name


def test_load_plan_takes_task_section_positionally(plan):
    assert pipeline.load_plan(pipeline.SEED_PLAN, "2").requirement_ids == plan.requirement_ids
    with pytest.raises(pipeline.PlanError, match="no section '9'"):
        pipeline.load_plan(pipeline.SEED_PLAN, "9")


def test_classify_reads_a_path_and_caches_the_classifier(plan):
    path = pipeline.SAMPLES_DIR / "审计局第三支部工作总结.txt"
    pred = pipeline.classify(path, plan)
    assert isinstance(pred, pipeline.Prediction)
    assert pred.plan_sha256 == plan.sha256
    assert [p.index for p in pred.paragraphs] == list(range(len(pred.document.paragraphs)))
    assert pipeline._classifier(plan, None) is pipeline._classifier(pipeline.load_plan(pipeline.SEED_PLAN), None)
    again = pipeline.classify(pipeline.read(path))  # plan=None is the seed plan
    assert again.paragraphs == pred.paragraphs


def test_classify_names_an_unreadable_file(tmp_path):
    missing = tmp_path / "nope.txt"
    with pytest.raises(pipeline.InputError, match="nope.txt"):
        pipeline.classify(missing)


def test_run_returns_a_coverage_result_and_writes_no_reports(result, plan, tmp_path, monkeypatch):
    from pipeline.coverage import CoverageResult

    assert isinstance(result, CoverageResult)
    assert len(result.documents) == len(list(pipeline.SAMPLES_DIR.iterdir()))
    assert all(d.ok for d in result.documents)
    assert result.totals.total == len(result.documents) * len(plan.requirements)
    monkeypatch.chdir(tmp_path)
    one = pipeline.run(str(pipeline.SAMPLES_DIR / "审计局第三支部工作总结.txt"))  # a single path as a str
    assert len(one.documents) == 1 and list(tmp_path.iterdir()) == []


def test_coverage_is_the_pure_step(result, plan):
    preds = [d.prediction for d in result.ok_documents]
    again = pipeline.compute_coverage(plan, preds)
    assert again.totals == result.totals
    assert [d.doc_id for d in again.documents] == [d.doc_id for d in result.documents]


# --- frames on the samples --------------------------------------------------------------------


def test_paragraphs_frame(result, paragraphs, plan):
    assert tuple(paragraphs.columns) == frames.PARAGRAPH_COLUMNS
    assert len(paragraphs) == sum(len(d.prediction.paragraphs) for d in result.ok_documents)
    for doc_id, group in paragraphs.groupby("doc_id", sort=False):
        assert group["index"].tolist() == list(range(len(group))), doc_id
    assert set(paragraphs["kind"]) <= set(KINDS)
    assert paragraphs["kind_score"].between(0, 1).all() and paragraphs["confidence"].between(0, 1).all()
    ids = set(plan.requirement_ids)
    not_evidence = paragraphs[paragraphs["kind"] != "evidence"]
    assert not_evidence["requirements"].map(len).eq(0).all() and not_evidence["requirement"].isna().all()
    assert all(set(r) <= ids for r in paragraphs["requirements"])
    ev = paragraphs[paragraphs["kind"] == "evidence"]
    assert ev["requirements"].map(len).gt(0).any()
    expected = ev["kind_score"] * ev["score"].fillna(0.0)
    assert (ev["confidence"] - expected).abs().max() < 1e-3
    # page for PDF, line for TXT, as nullable ints
    assert str(paragraphs["page"].dtype) == "Int64" and str(paragraphs["line"].dtype) == "Int64"
    pdf = paragraphs[paragraphs["path"].str.endswith(".pdf")]
    txt = paragraphs[paragraphs["path"].str.endswith(".txt")]
    assert len(pdf) and pdf["page"].notna().all() and pdf["page"].min() >= 1
    assert len(txt) and txt["line"].notna().all() and txt["page"].isna().all()


def test_paragraphs_frame_of_bare_predictions_agrees_with_the_result(result, paragraphs):
    preds = [d.prediction for d in result.ok_documents]
    bare = frames.paragraphs_frame(preds)
    assert tuple(bare.columns) == frames.PARAGRAPH_COLUMNS
    assert bare["branch"].isna().all()
    assert bare["doc_id"].tolist() == paragraphs["doc_id"].tolist()
    # counted ids follow the models' thresholds either way
    assert bare["requirements"].tolist() == paragraphs["requirements"].tolist()
    one = frames.paragraphs_frame(preds[0])
    assert len(one) == len(preds[0].paragraphs)
    assert frames.paragraphs_frame(result.ok_documents[0])["branch"].eq(result.ok_documents[0].branch).all()


def test_paragraphs_frame_refuses_other_things():
    with pytest.raises(TypeError, match="CoverageResult"):
        frames.paragraphs_frame("corpus/samples")


def test_least_confident(result, paragraphs):
    low = frames.least_confident(result, n=5)
    assert len(low) == 5 and low["confidence"].is_monotonic_increasing
    assert low["confidence"].max() <= paragraphs["confidence"].sort_values().iloc[5]
    assert frames.least_confident(paragraphs, n=3).equals(low.head(3))


def test_evidence_frame(result, paragraphs):
    ev = frames.evidence_frame(result)
    assert tuple(ev.columns) == frames.EVIDENCE_COLUMNS
    assert len(ev) == sum(len(rc.evidence) for d in result.ok_documents for rc in d.requirements.values())
    assert set(ev["status"]) <= {"covered", "weak"}
    for (doc_id, rid), group in ev.groupby(["doc_id", "requirement"], sort=False):
        assert group["rank"].tolist() == list(range(1, len(group) + 1))
        assert group["score"].is_monotonic_decreasing
        assert (group["area"] == result.plan.requirement(rid).area_id).all()
    kinds = paragraphs.set_index(["doc_id", "index"])["kind"]
    assert all(kinds[(d, i)] == "evidence" for d, i in zip(ev["doc_id"], ev["index"]))
    assert ev["terms"].map(len).gt(0).all()


def test_matrix_frame(result, plan):
    m = frames.matrix_frame(result)
    assert m.index.name == "doc_id" and m.columns.name == "requirement"
    assert tuple(m.columns) == plan.requirement_ids
    assert list(m.index) == [d.doc_id for d in result.documents]
    for d in result.documents:
        assert m.loc[d.doc_id].tolist() == [d.requirements[r].status for r in plan.requirement_ids]
    scores = frames.matrix_frame(result, values="score")
    assert scores.to_numpy(dtype=float).max() <= 1.0
    by_branch = frames.matrix_frame(result, by="branch")
    assert by_branch.index.name == "branch"
    assert list(by_branch.index) == list(dict.fromkeys(d.branch for d in result.documents))
    with pytest.raises(ValueError, match="by must be 'document' or 'branch'; got 'unit'"):
        frames.matrix_frame(result, by="unit")
    with pytest.raises(ValueError, match="values must be"):
        frames.matrix_frame(result, values="percent")


def test_gaps_documents_and_requirements_frames_add_up(result):
    gaps = frames.gaps_frame(result)
    assert tuple(gaps.columns) == frames.GAP_COLUMNS
    assert len(gaps) == result.totals.missing and set(gaps["status"]) <= {"missing"}
    both = frames.gaps_frame(result, include_weak=True)
    assert len(both) == result.totals.missing + result.totals.weak
    docs = frames.documents_frame(result)
    assert tuple(docs.columns) == frames.DOCUMENT_COLUMNS
    assert int(docs["covered"].sum()) == result.totals.covered
    assert (docs["covered"] + docs["weak"] + docs["missing"]).eq(len(result.plan.requirements)).all()
    reqs = frames.requirements_frame(result)
    assert tuple(reqs.columns) == frames.REQUIREMENT_COLUMNS
    assert tuple(reqs["requirement"]) == result.plan.requirement_ids
    assert int(reqs["missing"].sum()) == result.totals.missing == len(gaps)
    assert gaps["requirement"].value_counts().to_dict() == {
        r: n for r, n in zip(reqs["requirement"], reqs["missing"]) if n}
    assert set(frames.to_frames(result)) == {"documents", "paragraphs", "evidence", "matrix", "gaps", "requirements"}
    assert tuple(frames.plan_frame(result.plan).columns) == frames.PLAN_COLUMNS


def test_error_rows(result, plan):
    pred = result.ok_documents[0].prediction
    mixed = pipeline.compute_coverage(plan, [pred, DocumentError("broken/坏文件.docx", "read", "the file is empty")])
    docs = frames.documents_frame(mixed)
    bad = docs[docs["status"] == "error"].iloc[0]
    assert bad["error"] == "the file is empty" and pd.isna(bad["covered"]) and math.isnan(bad["percent_covered"])
    m = frames.matrix_frame(mixed)
    assert m.loc["坏文件"].eq("error").all()
    assert frames.matrix_frame(mixed, values="score").loc["坏文件"].isna().all()
    assert "坏文件" not in set(frames.paragraphs_frame(mixed)["doc_id"])
    assert "坏文件" not in set(frames.gaps_frame(mixed)["doc_id"])


def test_empty_result_keeps_the_columns(plan):
    empty = pipeline.compute_coverage(plan, [])
    for name, df in frames.to_frames(empty).items():
        if name == "requirements":  # one row per requirement of the plan, all zero
            assert len(df) == len(plan.requirements) and df["covered"].eq(0).all()
        else:
            assert len(df) == 0, name
    assert tuple(frames.evidence_frame(empty).columns) == frames.EVIDENCE_COLUMNS
    assert tuple(frames.matrix_frame(empty).columns) == plan.requirement_ids


def test_missing_pandas_says_how_to_install(result, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"pip install pandas"):
        frames.gaps_frame(result)


def test_missing_matplotlib_says_how_to_install(result, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install matplotlib"):
        frames.plot_matrix(result)


# --- the heatmap ------------------------------------------------------------------------------


@pytest.fixture
def agg():
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def _plot(result, **kwargs):
    """plot_matrix and a full draw; also the glyph warnings raised (layout measures text too)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ax, legend = frames.plot_matrix(result, **kwargs)
        ax.figure.canvas.draw()
    return ax, legend, [str(w.message) for w in caught if "missing from font" in str(w.message)]


def test_heatmap_draws_chinese_branch_names_without_missing_glyphs(result, agg, tmp_path):
    font = frames.cjk_font()
    if font is None:
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")
    ax, legend, missing = _plot(result, by="branch")
    assert missing == [] and legend is None
    assert [t.get_text() for t in ax.get_yticklabels()] == list(dict.fromkeys(d.branch for d in result.documents))
    assert all(t.get_fontfamily() == [font] for t in ax.get_yticklabels())
    ax.figure.savefig(tmp_path / "heatmap.png", dpi=80)
    assert (tmp_path / "heatmap.png").stat().st_size > 5000
    # the check sees boxes: the same labels in a Latin-only font warn
    *_, missing = _plot(result, by="branch", font="DejaVu Sans")
    assert missing


def test_heatmap_without_a_cjk_font_uses_ids_and_a_legend(result, agg):
    ax, legend, missing = _plot(result, by="document", font=None)
    n = len(result.documents)
    assert [t.get_text() for t in ax.get_yticklabels()] == [f"D{i}" for i in range(1, n + 1)]
    assert list(legend.columns) == ["label", "document"]
    assert legend["document"].tolist() == [d.doc_id for d in result.documents]
    assert missing == []
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["covered", "weak", "missing"]


def test_heatmap_of_nothing_says_so(plan, agg):
    with pytest.raises(ValueError, match="nothing to plot"):
        frames.plot_matrix(pipeline.compute_coverage(plan, []))


# --- evaluation frames on the corpus's test split ---------------------------------------------


@pytest.fixture(scope="module")
def report():
    from pipeline.classifiers.train import evaluate_models

    return evaluate_models(split="test")


@pytest.fixture(scope="module")
def test_split():
    return frames.gold_frame("test")


def test_gold_frame_never_scores_training_data():
    with pytest.raises(ValueError, match="'train' would not measure anything"):
        frames.gold_frame("train")
    with pytest.raises(ValueError, match="got 'holdout'"):
        frames.gold_frame("holdout")


def test_gold_frame_reproduces_the_evaluation(report, test_split, plan):
    assert tuple(test_split.columns) == frames.GOLD_COLUMNS
    assert len(test_split) == report["paragraphs"] and test_split["doc_id"].nunique() == report["documents"]
    model = report["results"]["model"]
    ev = test_split[test_split["gold_kind"] == "evidence"]
    for rid, expected in model["requirements_on_gold_evidence"]["per_label"].items():
        tp = sum(rid in p and rid in g for p, g in zip(ev["requirements"], ev["gold_requirements"]))
        fp = sum(rid in p and rid not in g for p, g in zip(ev["requirements"], ev["gold_requirements"]))
        fn = sum(rid not in p and rid in g for p, g in zip(ev["requirements"], ev["gold_requirements"]))
        assert tp + fn == expected["support"], rid
        assert (round(tp / (tp + fp), 4) if tp + fp else 0.0) == expected["precision"], rid
        assert (round(tp / (tp + fn), 4) if tp + fn else 0.0) == expected["recall"], rid
    kinds = frames.confusion_frame(test_split, "kinds")
    assert list(kinds.index) == list(KINDS)
    assert {f"{g}->{p}": int(kinds.at[g, p]) for g in KINDS for p in KINDS if g != p and kinds.at[g, p]} == \
        model["kind"]["confusion"]
    conf = frames.confusion_frame(test_split, labels=plan.requirement_ids)
    assert list(conf.index) == list(plan.requirement_ids) + [frames.NONE]
    for pair in model["confused_pairs"]:
        assert conf.at[pair["gold"], pair["predicted"]] == pair["count"]
    without_none = frames.confusion_frame(test_split, labels=plan.requirement_ids, none=False)
    assert without_none.equals(conf.loc[list(plan.requirement_ids), list(plan.requirement_ids)])
    # every missed id is counted once in its row when nothing or something else was predicted
    n_missed = int(ev["missed"].map(len).sum())
    assert int(conf.loc[list(plan.requirement_ids), frames.NONE].sum()) <= n_missed
    errors = test_split["error"]
    assert set(errors) <= {"ok", "kind", "requirements", "both"}
    assert (errors != "ok").sum() == ((test_split["gold_kind"] != test_split["kind"])
                                      | test_split["missed"].map(len).gt(0)
                                      | test_split["spurious"].map(len).gt(0)).sum()


def test_confused_pairs_and_scores_frames(report, test_split, plan):
    conf = frames.confusion_frame(test_split, labels=plan.requirement_ids)
    pairs = frames.confused_pairs(conf, n=50, plan=plan)
    assert tuple(pairs.columns) == frames.PAIR_COLUMNS
    assert pairs["count"].is_monotonic_decreasing
    real = pairs[(pairs["gold"] != frames.NONE) & (pairs["predicted"] != frames.NONE)]
    assert {(a, b, c) for a, b, c in zip(real["gold"], real["predicted"], real["count"])} >= {
        (p["gold"], p["predicted"], p["count"]) for p in report["results"]["model"]["confused_pairs"]}
    assert all(t == plan.requirement(g).title for g, t in zip(real["gold"], real["gold_title"]))
    scores = frames.scores_frame(report["results"]["model"]["requirements_on_gold_evidence"], plan=plan)
    assert tuple(scores.columns) == frames.SCORE_COLUMNS
    assert tuple(scores["label"]) == plan.requirement_ids and scores["title"].notna().all()
    assert tuple(frames.scores_frame(report["results"]["model"]["kind"])["label"]) == KINDS
    summary = frames.summary_frame(report)
    assert list(summary.columns) == list(report["results"])
    assert summary.at["gap detection F1", "model"] == report["results"]["model"]["gap_detection"]["f1"]
    assert summary.notna().all().all()


# --- the documented examples run --------------------------------------------------------------


def _readme_python_blocks() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", README.read_text(encoding="utf-8"), flags=re.M | re.S)


def test_readme_python_examples_run(monkeypatch, capsys):
    blocks = _readme_python_blocks()
    assert len(blocks) >= 2
    monkeypatch.chdir(ROOT)
    namespace: dict = {"__name__": "readme"}
    for n, block in enumerate(blocks, 1):
        exec(compile(block, f"README.md python block {n}", "exec"), namespace)
    out = capsys.readouterr().out
    assert "covered" in out and "2.3.1" in out


def test_readme_documents_the_frame_columns():
    text = README.read_text(encoding="utf-8")
    for fn, columns in [("paragraphs_frame", frames.PARAGRAPH_COLUMNS), ("evidence_frame", frames.EVIDENCE_COLUMNS),
                        ("gaps_frame", frames.GAP_COLUMNS), ("documents_frame", frames.DOCUMENT_COLUMNS),
                        ("requirements_frame", frames.REQUIREMENT_COLUMNS)]:
        row = re.search(rf"^\| `{fn}\(.*\|\s*([^|]+?)\s*\|\s*$", text, flags=re.M)
        assert row, f"README has no table row for {fn}"
        assert tuple(c.strip() for c in row.group(1).split(",")) == columns, fn


@pytest.mark.slow
@pytest.mark.parametrize("module", [pipeline, frames], ids=["pipeline", "pipeline.frames"])
def test_docstring_examples(module, monkeypatch):
    monkeypatch.chdir(ROOT)
    failures, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                                      verbose=False, report=True)
    assert tried > 5 and failures == 0
