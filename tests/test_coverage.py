from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.branches import Branch, Manifest, branch_from_header, identify_branch, read_manifest
from pipeline.coverage import (DEFAULT_THRESHOLDS, CoverageResult, DocumentError, Numbers, compute_coverage,
                               doc_ids)
from pipeline.errors import InputError, UnsupportedFormatError
from pipeline.types import KINDS, Document, Paragraph, Thresholds

from plan_fixtures import FLAT_PLAN
from report_fixtures import TH, load_seed_plan, make_prediction, sample_items

PLAN = load_seed_plan()
RIDS = PLAN.requirement_ids


def one(paras, path="a/s01.txt", **kw):
    return make_prediction(PLAN, path, paras, **kw)


def test_seed_plan_has_twenty_requirements_in_six_areas():
    assert len(RIDS) == 20 and [a.id for a in PLAN.areas] == [f"2.{i}" for i in range(1, 7)]


@pytest.mark.parametrize("score, status", [
    (0.5, "covered"), (0.9, "covered"), (0.49, "weak"), (0.3, "weak"), (0.29, "missing"), (0.0, "missing"),
], ids=["at-high", "above-high", "below-high", "at-low", "below-low", "zero"])
def test_status_from_best_evidence_score(score, status):
    res = compute_coverage(PLAN, [one([("支部开展主题党日。", "evidence", {"2.3.2": score})])])
    rc = res.documents[0].requirements["2.3.2"]
    assert rc.status == status
    assert rc.evidence == ((0,) if status != "missing" else ())


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "evidence"])
def test_only_evidence_paragraphs_count(kind):
    res = compute_coverage(PLAN, [one([("明年将继续开展主题党日。", kind, {"2.3.2": 0.95})])])
    assert res.documents[0].requirements["2.3.2"].status == "missing"


def test_evidence_is_strongest_first_ties_in_document_order():
    res = compute_coverage(PLAN, [one([
        ("甲", "evidence", {"2.1.1": 0.4}), ("乙", "evidence", {"2.1.1": 0.8}),
        ("丙", "evidence", {"2.1.1": 0.4}), ("丁", "evidence", {"2.1.1": 0.1}),
    ])])
    rc = res.documents[0].requirements["2.1.1"]
    assert rc.evidence == (1, 0, 2)
    assert rc.score == 0.8 and rc.status == "covered"


def test_thresholds_override_all_or_per_requirement():
    p = one([("甲", "evidence", {"2.1.1": 0.6, "2.1.2": 0.6})])
    assert compute_coverage(PLAN, [p]).documents[0].requirements["2.1.1"].status == "covered"
    strict = compute_coverage(PLAN, [p], thresholds=Thresholds(0.5, 0.7))
    assert strict.documents[0].requirements["2.1.1"].status == "weak"
    assert strict.thresholds["2.6.4"] == Thresholds(0.5, 0.7)
    one_req = compute_coverage(PLAN, [p], thresholds={"2.1.2": Thresholds(0.65, 0.9)})
    assert one_req.documents[0].requirements["2.1.1"].status == "covered"
    assert one_req.documents[0].requirements["2.1.2"].status == "missing"
    assert one_req.thresholds["2.1.1"] == TH


def test_thresholds_come_from_the_model_else_the_default():
    p = one([("甲", "evidence", {"2.1.1": 0.45})], thresholds={"2.1.1": Thresholds(0.2, 0.4)})
    res = compute_coverage(PLAN, [p])
    assert res.documents[0].requirements["2.1.1"].status == "covered"
    assert res.thresholds["2.1.1"] == Thresholds(0.2, 0.4)
    assert res.thresholds["2.1.2"] == DEFAULT_THRESHOLDS


@pytest.mark.parametrize("bad", [Thresholds(0.6, 0.5), Thresholds(-0.1, 0.5), Thresholds(0.2, 1.5)],
                         ids=["low-above-high", "negative", "above-one"])
def test_thresholds_out_of_order_are_refused(bad):
    with pytest.raises(ValueError, match="0 <= low <= high <= 1"):
        compute_coverage(PLAN, [one([("甲", "evidence", {})])], thresholds=bad)


def test_error_documents_are_rows_that_count_nowhere():
    err = DocumentError.from_exception("b/bad.doc", UnsupportedFormatError("b/bad.doc", "legacy Word format"))
    assert err == DocumentError("b/bad.doc", "read", "legacy Word format")
    res = compute_coverage(PLAN, [one([("甲", "evidence", {"2.1.1": 0.9})]), err])
    bad = res.documents[1]
    assert (bad.status, bad.stage, bad.error, bad.file_name) == ("error", "read", "legacy Word format", "bad.doc")
    assert bad.prediction is None and bad.requirements == {} and bad.numbers == Numbers()
    assert res.totals == Numbers(covered=1, missing=19)
    assert res.percent_covered == 5.0
    assert res.error_documents == (bad,)


def test_all_documents_failed_gives_zero_not_full_coverage():
    res = compute_coverage(PLAN, [DocumentError("x.pdf", "read", "no text layer")])
    assert res.totals.total == 0 and res.percent_covered == 0.0


def test_prediction_for_another_plan_is_refused():
    p = one([("甲", "evidence", {})])
    other = parse_other_plan()
    with pytest.raises(ValueError, match="made for plan"):
        compute_coverage(other, [p])


def parse_other_plan():
    from pipeline.plan import parse_plan

    return parse_plan(Document("flat.txt", "txt", tuple(Paragraph(i, t) for i, t in enumerate(FLAT_PLAN))))


def test_any_plan_works_not_just_the_seed():
    plan = parse_other_plan()
    rids = plan.requirement_ids
    p = make_prediction(plan, "x.txt", [("全年集中学习12次。", "evidence", {rids[1]: 0.8})])
    res = compute_coverage(plan, [p])
    assert res.totals == Numbers(covered=1, missing=len(rids) - 1)
    assert set(res.per_area) == {a.id for a in plan.areas}


def test_scores_for_ids_outside_the_plan_are_ignored():
    res = compute_coverage(PLAN, [one([("甲", "evidence", {"9.9.9": 0.99})])])
    assert set(res.documents[0].requirements) == set(RIDS)
    assert res.totals.missing == 20


def test_items_of_other_types_are_refused():
    with pytest.raises(TypeError, match="Prediction or DocumentError"):
        compute_coverage(PLAN, ["s01.txt"])


@pytest.mark.parametrize("paths, ids", [
    (["a/s01.txt", "a/s02.pdf"], ["s01", "s02"]),
    (["a/s01.txt", "b/s01.txt"], ["a/s01", "b/s01"]),
    (["x/a/s01.txt", "x/b/c/s01.docx", "x/s02.txt"], ["a/s01", "b/c/s01", "s02"]),
    (["a/s01.txt", "a/s01.pdf"], ["s01.txt", "s01.pdf"]),
    (["a/s01.txt", "a/s01.txt"], ["s01", "s01~2"]),
    (["C:\\in\\甲\\总结.docx", "C:\\in\\乙\\总结.docx"], ["甲/总结", "乙/总结"]),
], ids=["distinct", "clash", "deep", "same-stem-ext", "repeat", "windows-chinese"])
def test_doc_ids(paths, ids):
    assert doc_ids(paths) == ids


def test_documents_are_ordered_by_path_naturally():
    items = [one([("甲", "evidence", {})], path=f"in/s{n}.txt") for n in (10, 2, 1)]
    assert [d.doc_id for d in compute_coverage(PLAN, items).documents] == ["s1", "s2", "s10"]


# Branch identity -------------------------------------------------------------------------------

@pytest.mark.parametrize("lines, expected", [
    (["中共国家税务总局澜州市税务局机关第三支部委员会", "关于2021年度创建模范机关工作情况的总结"],
     ("中共国家税务总局澜州市税务局机关第三支部委员会", "国家税务总局澜州市税务局")),
    (["中共渠江市交通運輸局機關第二支部委員會", "2021年度創建模範機關工作總結"],
     ("中共渠江市交通運輸局機關第二支部委員會", "渠江市交通運輸局")),
    (["东岭区市场监督管理局第一党支部2022年工作总结"], ("东岭区市场监督管理局第一党支部", "东岭区市场监督管理局")),
    (["霁川市审计局机关党委关于2022年度模范机关创建工作的总结"], ("霁川市审计局机关党委", "霁川市审计局")),
    (["中共梓峰县卫生健康委员会机关委员会２０２１年度模范机关创建工作总结"],
     ("中共梓峰县卫生健康委员会机关委员会", "梓峰县卫生健康委员会")),
    (["北渚区财政局机关第二党支部", "2023年度模范机关创建工作情况报告"], ("北渚区财政局机关第二党支部", "北渚区财政局")),
    (["2023年度创建模范机关工作总结", "市局机关党委：", "今年以来，支部……"], None),
    (["局机关党委：2023年，机关第二党支部（基础教育科）……"], None),
    (["", "工作总结", "一、主要工作", "二、存在问题", "中共某局机关委员会"], None),
], ids=["committee", "traditional", "title-year", "title-guanyu", "fullwidth-year", "name-line",
        "no-name", "addressee", "too-far-down"])
def test_branch_from_header(lines, expected):
    assert branch_from_header(lines) == expected


def doc(path, lines):
    return Document(path, "txt", tuple(Paragraph(i, t) for i, t in enumerate(lines)))


def test_identify_branch_prefers_manifest_then_header_then_file_name():
    d = doc("in/s01.txt", ["中共某市统计局机关委员会", "2023年度工作总结"])
    m = Manifest.of({"s01.txt": ("统计局机关党委", "某市统计局")})
    assert identify_branch("in/s01.txt", d, m) == Branch("统计局机关党委", "某市统计局", "manifest")
    assert identify_branch("in/s01.txt", d, None) == Branch("中共某市统计局机关委员会", "某市统计局", "header")
    assert identify_branch("in/s01.txt", doc("in/s01.txt", ["工作总结"]), m.of({})) == Branch("s01", None, "file")


def write_csv(path: Path, text: str, encoding="utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_read_manifest_in_excel_encodings(tmp_path, encoding):
    m = read_manifest(write_csv(tmp_path / "m.csv", "file,branch,unit\n甲/s01.txt,第一党支部,某局\ns02.docx,第二党支部,\n",
                                encoding))
    assert m.lookup(str(tmp_path / "甲" / "s01.txt")) == Branch("第一党支部", "某局", "manifest")
    assert m.lookup("elsewhere/s02.docx") == Branch("第二党支部", None, "manifest")
    assert m.lookup("s03.txt") is None


def test_manifest_with_chinese_headers_matches_by_stem(tmp_path):
    m = read_manifest(write_csv(tmp_path / "m.csv", "文件,支部,单位\ns01,第一党支部,某局\n"))
    assert m.lookup("in/s01.pdf").name == "第一党支部"


def test_manifest_name_listed_twice_in_other_folders_matches_by_path_only(tmp_path, caplog):
    m = read_manifest(write_csv(tmp_path / "m.csv", "file,branch\na/s01.txt,甲\nb/s01.txt,乙\n"))
    assert m.lookup("in/b/s01.txt").name == "乙"
    assert m.lookup("c/s01.txt") is None
    assert "2 times" in caplog.text


@pytest.mark.parametrize("text, message", [
    ("", "the manifest is empty"),
    ("name,branch\ns01.txt,甲\n", "no 'file' column"),
    ("file,unit\ns01.txt,某局\n", "no 'branch' column"),
    ("file,branch\ns01.txt,\n", "row 2 needs both a file and a branch"),
    ("file,branch\ns01.txt,甲\ns01.txt,乙\n", "row 3 lists 's01.txt' again"),
], ids=["empty", "no-file", "no-branch", "blank-branch", "conflict"])
def test_bad_manifest_is_a_clear_input_error(tmp_path, text, message):
    with pytest.raises(InputError, match=message):
        read_manifest(write_csv(tmp_path / "m.csv", text))


def test_missing_manifest(tmp_path):
    with pytest.raises(InputError, match="no such manifest file"):
        read_manifest(tmp_path / "nope.csv")


def test_compute_coverage_uses_manifest_and_rolls_up_per_branch(tmp_path):
    m = read_manifest(write_csv(tmp_path / "m.csv", "file,branch,unit\ns01.txt,甲支部,某局\ns02.txt,甲支部,某局\n"))
    items = [one([("x", "evidence", {"2.1.1": 0.9})], path="in/s01.txt"),
             one([("x", "evidence", {"2.1.2": 0.4})], path="in/s02.txt"),
             one([("中共某局机关第二支部委员会", "boilerplate", {})], path="in/s03.txt")]
    res = compute_coverage(PLAN, items, branches=m)
    assert [(d.branch, d.branch_source) for d in res.documents] == [
        ("甲支部", "manifest"), ("甲支部", "manifest"), ("中共某局机关第二支部委员会", "header")]
    assert res.per_branch == {"甲支部": Numbers(1, 1, 38), "中共某局机关第二支部委员会": Numbers(0, 0, 20)}
    mapped = compute_coverage(PLAN, items, branches={"in/s03.txt": ("丙支部", None)})
    assert mapped.documents[2].branch == "丙支部"


# Numbers and roll-ups ---------------------------------------------------------------------------

def test_numbers_add_up_with_sum():
    parts = [Numbers(1, 2, 3), Numbers(4, 0, 1), Numbers()]
    assert sum(parts) == Numbers(5, 2, 4)
    assert sum(parts, Numbers()) == Numbers(5, 2, 4)
    assert Numbers(1, 0, 0) + Numbers(0, 1, 0) == Numbers(1, 1, 0)
    with pytest.raises(TypeError):
        Numbers() + 1


@pytest.mark.parametrize("n, shown", [
    (Numbers(0, 0, 0), "0.0"), (Numbers(1, 0, 0), "100.0"), (Numbers(9999, 0, 1), "99.9"),
    (Numbers(1, 0, 9999), "0.1"), (Numbers(1, 1, 2), "25.0"), (Numbers(0, 3, 0), "0.0"),
], ids=["empty", "full", "almost-full", "almost-none", "quarter", "weak-is-not-covered"])
def test_display_percent_never_rounds_to_a_false_0_or_100(n, shown):
    assert n.display_percent() == shown


def test_weak_counts_as_not_covered():
    n = Numbers(covered=1, weak=1, missing=0)
    assert n.percent_covered == 50.0 and n.percent_weak == 50.0 and not n.complete


def test_sample_rollups():
    res = compute_coverage(PLAN, sample_items(PLAN))
    assert isinstance(res, CoverageResult)
    assert len(res.documents) == 5 and len(res.ok_documents) == 4
    assert res.totals.total == 80
    assert res.per_requirement["2.3.2"] == Numbers(covered=3, missing=1)
    assert [d.doc_id for d in res.lacking("2.3.2")] == [res.documents[0].doc_id]
    assert res.models == ("test-model 1",)
    assert res.area_numbers(res.documents[-2], PLAN.areas[0]) == Numbers(covered=4)


# Properties -------------------------------------------------------------------------------------

scores = st.dictionaries(st.sampled_from(RIDS + ("9.9",)), st.floats(0, 1, allow_nan=False), max_size=4)
paragraphs = st.lists(st.tuples(st.text(max_size=5), st.sampled_from(KINDS), scores), max_size=6)
documents = st.lists(st.one_of(
    paragraphs.map(lambda ps: ("ok", ps)),
    st.just(("error", None)),
), max_size=6)
overrides = st.one_of(st.none(), st.tuples(st.floats(0, 1), st.floats(0, 1)).map(lambda t: Thresholds(min(t), max(t))))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents, overrides)
def test_totals_add_up_and_percentages_stay_in_range(docs, override):
    items = []
    for n, (kind, ps) in enumerate(docs):
        if kind == "ok":
            items.append(one(ps, path=f"d/s{n}.txt"))
        else:
            items.append(DocumentError(f"d/s{n}.pdf", "read", "broken"))
    res = compute_coverage(PLAN, items, thresholds=override)
    n_ok = sum(1 for k, _ in docs if k == "ok")
    assert sum((d.numbers for d in res.documents), Numbers()) == res.totals
    assert sum(res.per_area.values(), Numbers()) == res.totals
    assert sum(res.per_requirement.values(), Numbers()) == res.totals
    assert sum(res.per_branch.values(), Numbers()) == res.totals
    assert res.totals.total == n_ok * len(RIDS)
    for n in [res.totals, *res.per_area.values(), *res.per_requirement.values(), *(d.numbers for d in res.documents)]:
        for pc in (n.percent_covered, n.percent_weak, n.percent_missing):
            assert 0.0 <= pc <= 100.0
        assert 0.0 <= float(n.display_percent()) <= 100.0
        if n.total:
            assert abs(n.percent_covered + n.percent_weak + n.percent_missing - 100.0) < 1e-9
    for d in res.ok_documents:
        for rid, rc in d.requirements.items():
            assert (rc.status == "missing") == (not rc.evidence)
