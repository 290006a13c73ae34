import base64
import hashlib
import json
import os
import re
import stat
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.cli import main
from pipeline.coverage import compute_coverage
from pipeline.errors import InputError
from pipeline.reporters import (FORMATS, branch_page, clean_text, highlight_spans, page_name, render_terminal,
                                requirement_page, write_reports)
from pipeline.reporters.atomic import ReportWriteError, atomic_open, write_atomic
from pipeline.reporters.docx_report import chinese_number
from pipeline.reporters.json_report import coverage_to_dict, load_coverage_json, schema
from pipeline.reporters.labels import LANGS, TABLE, labels
from pipeline.reporters.terminal import compress_ids, width
from pipeline.reporters.xlsx_report import cell_text

from report_fixtures import CREATED, HOSTILE, HOSTILE_FILE, load_seed_plan, sample_items

GOLD = Path(__file__).resolve().parent / "gold"
UPDATE = os.environ.get("PLANCOV_UPDATE_GOLD") == "1"
PLAN = load_seed_plan()


def scrub(text: str) -> str:
    """Volatile parts out: versions, dates and times, the plan's absolute path."""
    text = re.sub(r"plancov \d+\.\d+[\w.+-]*", "plancov VERSION", text)
    text = re.sub(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?([+-]\d{2}:\d{2})?", "DATETIME", text)
    text = re.sub(r"\d{4}年\d{1,2}月\d{1,2}日", "DATE", text)
    return text.replace(str(PLAN.path), "PLAN_PATH").replace(json.dumps(str(PLAN.path))[1:-1], "PLAN_PATH")


def check_gold(name: str, actual: str) -> None:
    """Compare with tests/gold/NAME; PLANCOV_UPDATE_GOLD=1 rewrites it (review the diff)."""
    path = GOLD / name
    actual = scrub(actual)
    if UPDATE or not path.exists():
        if not UPDATE:
            pytest.fail(f"no golden file {path}; run with PLANCOV_UPDATE_GOLD=1 to create it")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"{name} differs from its golden file; PLANCOV_UPDATE_GOLD=1 rewrites it"


@pytest.fixture(scope="module")
def result():
    return compute_coverage(PLAN, sample_items(PLAN))


@pytest.fixture(scope="module")
def report(result, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    paths = write_reports(result, out, created=CREATED)
    return out, paths


def doc_of(result, path):
    return next(d for d in result.documents if d.path == path)


# coverage.json ----------------------------------------------------------------------------------

def test_schema_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(schema())


def test_json_validates_against_the_schema_and_matches_gold(report):
    out, _ = report
    data = json.loads((out / "coverage.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, schema(), cls=jsonschema.Draft202012Validator)
    assert data["format_version"] == 1
    assert data["totals"] == {"covered": 36, "weak": 2, "missing": 42, "total": 80, "percent_covered": 45.0,
                              "documents": 4, "errors": 1}
    check_gold("coverage.json", (out / "coverage.json").read_text(encoding="utf-8"))


def test_json_cleans_text_it_cannot_carry(report):
    out, _ = report
    text = (out / "coverage.json").read_text(encoding="utf-8")
    assert "\\f" not in text and "\\u0001" not in text and "\\ud800" not in text
    assert "孤立代理\ufffd字符" in text
    assert "第一页结束 第二页开始" in text


def test_json_round_trips(report, result):
    out, _ = report
    loaded = load_coverage_json(out / "coverage.json")
    assert loaded.totals == result.totals
    assert loaded.per_requirement == result.per_requirement
    assert [d.doc_id for d in loaded.documents] == [d.doc_id for d in result.documents]
    again = coverage_to_dict(loaded, created=CREATED)
    first = json.loads((out / "coverage.json").read_text(encoding="utf-8"))
    assert again["documents"] == first["documents"]
    assert again["totals"] == first["totals"] and again["plan"] == first["plan"]


def mutate(data, how):
    data = json.loads(json.dumps(data))
    how(data)
    return data


@pytest.mark.parametrize("how, message", [
    (lambda d: d.pop("meta"), "at (top level): 'meta' is a required property"),
    (lambda d: d["documents"][0]["coverage"]["2.1.1"].update(status="done"), "at documents/0/coverage/2.1.1/status"),
    (lambda d: d["documents"][1]["coverage"]["2.1.1"].update(evidence=[999]), "evidence for 2.1.1 names paragraph 999"),
    (lambda d: d["documents"][1]["coverage"].pop("2.6.4"), "absent: 2.6.4"),
    (lambda d: d["documents"][1]["paragraphs"][1].update(index=7), "paragraph 1 has index 7"),
    (lambda d: d.update(format_version=2), "format_version 2 is not supported"),
], ids=["no-meta", "bad-status", "evidence-range", "ids", "indices", "version"])
def test_bad_coverage_json_is_a_clear_input_error(report, tmp_path, how, message):
    out, _ = report
    data = mutate(json.loads((out / "coverage.json").read_text(encoding="utf-8")), how)
    bad = tmp_path / "coverage.json"
    bad.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(message)):
        load_coverage_json(bad)


@pytest.mark.parametrize("content, message", [
    (b"{not json", "not valid JSON (line 1, column 2"),
    (b"\xff\xfe\x00", "not UTF-8 text"),
    (b"[]", "not a plancov coverage.json"),
], ids=["syntax", "encoding", "array"])
def test_unreadable_coverage_json(tmp_path, content, message):
    bad = tmp_path / "c.json"
    bad.write_bytes(content)
    with pytest.raises(InputError, match=re.escape(message)):
        load_coverage_json(bad)


# HTML -------------------------------------------------------------------------------------------

class Page(HTMLParser):
    """Collects what matters for safety: tags, attributes, script bodies."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.attrs, self.scripts, self._in = [], [], [], None
        self.text = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend((tag, k, v or "") for k, v in attrs)
        if tag == "script":
            self._in = [dict(attrs).get("type"), ""]

    def handle_endtag(self, tag):
        if tag == "script" and self._in is not None:
            self.scripts.append(tuple(self._in))
            self._in = None

    def handle_data(self, data):
        if self._in is not None:
            self._in[1] += data
        else:
            self.text.append(data)


def parse(html: str) -> Page:
    p = Page()
    p.feed(html)
    return p


def html_pages(out: Path) -> list[Path]:
    return sorted(out.glob("*.html"))


def test_html_pages_one_per_requirement_and_document(report, result):
    out, paths = report
    pages = {p.name for p in html_pages(out)}
    assert "index.html" in pages
    assert {requirement_page(r) for r in PLAN.requirement_ids} <= pages
    assert {branch_page(d) for d in result.documents} <= pages
    assert len(pages) == 1 + 20 + 5
    assert paths[0].name == "coverage.json" and paths[1].name == "index.html"


def test_html_golden(report, result):
    out, _ = report
    check_gold("index.html", (out / "index.html").read_text(encoding="utf-8"))
    check_gold("req-2.3.2.html", (out / "req-2.3.2.html").read_text(encoding="utf-8"))
    hostile = doc_of(result, "summaries/s002.txt")
    check_gold("branch-s002.html", (out / branch_page(hostile)).read_text(encoding="utf-8"))


ALLOWED_TAGS = {"html", "head", "meta", "title", "link", "style", "body", "header", "h1", "h2", "h3", "p", "nav",
                "a", "main", "section", "div", "span", "small", "table", "thead", "tbody", "tfoot", "tr", "th", "td",
                "label", "input", "mark", "blockquote", "aside", "button", "ol", "strong", "footer", "script"}


@pytest.mark.parametrize("lang", LANGS)
def test_html_escapes_all_untrusted_text(result, tmp_path, lang):
    write_reports(result, tmp_path, lang=lang, formats=("html",), created=CREATED)
    for page in html_pages(tmp_path):
        html = page.read_text(encoding="utf-8")
        assert "<script>alert" not in html and "<img" not in html and "<b " not in html
        assert "\x0c" not in html and "\x01" not in html and "\ud800" not in html
        p = parse(html)
        assert set(p.tags) <= ALLOWED_TAGS, page.name
        for tag, name, value in p.attrs:
            assert not name.startswith("on"), (page.name, tag, name)
            assert name not in ("src", "srcdoc", "formaction", "style"), (page.name, tag, name)
            if name == "href":
                assert re.fullmatch(r"(index|req-[\d.]+|branch-[a-z0-9-]+)\.html(#p\d+)?|#p\d+|data:,", value), \
                    (page.name, value)
        # One executable script (the page's own) and at most one JSON data block.
        kinds = [t for t, _ in p.scripts]
        assert kinds.count(None) == 1 and set(kinds) <= {None, "application/json"}
        for t, body in p.scripts:
            if t == "application/json":
                data = json.loads(body)
                assert isinstance(data, dict)
                assert "</" not in body and "<script" not in body


def test_html_shows_hostile_text_as_text(report, result):
    out, _ = report
    page = parse((out / branch_page(doc_of(result, "summaries/s002.txt"))).read_text(encoding="utf-8"))
    text = "".join(page.text)
    for key in ("script", "img", "js_url", "hyperlink", "plus", "at"):
        assert HOSTILE[key] in text, key
    assert "孤立代理\ufffd字符" in text and "第一页结束 第二页开始" in text
    index = (out / "index.html").read_text(encoding="utf-8")
    name = Path(HOSTILE_FILE).stem
    assert name not in index and "&lt;img src=x onerror=alert(1)&gt;&amp;amp;" in index


def test_html_csp_pins_the_inline_style_and_script(report):
    out, _ = report
    for page in html_pages(out):
        html = page.read_text(encoding="utf-8")
        csp = unescape(re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', html).group(1))
        assert "default-src 'none'" in csp and "http" not in csp and "unsafe" not in csp
        script = re.search(r"<script>(.*?)</script>\n</body>", html, re.S).group(1)
        style = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
        for body, directive in ((script, "script-src"), (style, "style-src")):
            digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
            assert f"{directive} 'sha256-{digest}'" in csp
        assert "@import" not in style and "url(" not in style and "@font-face" not in style


def test_html_english_labels(result, tmp_path):
    write_reports(result, tmp_path, lang="en", formats=("html",), created=CREATED)
    html = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "Work summary coverage report" in html and "Only rows with gaps" in html and '<html lang="en">' in html
    assert "已覆盖" not in html and "总览" not in html


@given(st.text(max_size=60))
def test_page_names_are_safe_for_any_name(name):
    page = page_name("branch", name)
    assert re.fullmatch(r"branch-([a-z0-9]+(-[a-z0-9]+)*-)?[0-9a-f]{8}\.html", page)
    assert len(page) <= 60


def test_page_names_are_unique_and_inside_the_folder(report, result):
    out, _ = report
    names = [branch_page(d) for d in result.documents]
    assert len(set(names)) == len(names)
    for n in names + [page_name("branch", "../../etc/passwd"), page_name("b", "a/b\\c")]:
        assert "/" not in n and "\\" not in n and ".." not in n
        assert (out / n).resolve().parent == out.resolve()
    assert requirement_page("2.1.1") == "req-2.1.1.html"
    assert re.fullmatch(r"req-x-[0-9a-f]{8}\.html", requirement_page("<x>"))


@pytest.mark.parametrize("text, terms, marked", [
    ("全年开展主题党日12次", ("主题党日",), ["主题党日"]),
    ("全年开展主题党日１２次", ("主题党日12",), ["主题党日１２"]),
    ("全年開展主題黨日活動", ("主题党日",), ["主題黨日"]),
    ("落实 “三会 一课”制度", ("三会一课",), ["三会 一课"]),
    ("学习ＸＩ Jinping思想", ("xi jinping",), ["ＸＩ Jinping"]),
    ("甲乙甲乙", ("甲",), ["甲", "甲"]),
    ("<script>主题党日</script>", ("</script>",), ["</script>"]),
    ("没有关键词", ("主题党日",), []),
    ("含\ufffd替换", ("\ufffd",), ["\ufffd"]),
], ids=["plain", "fullwidth-digits", "traditional", "spaces", "case", "repeat", "markup", "none", "replacement"])
def test_highlight_spans(text, terms, marked):
    spans = highlight_spans(text, terms)
    assert "".join(s for s, _ in spans) == text
    assert [s for s, hl in spans if hl] == marked


@pytest.mark.parametrize("raw, clean", [
    ("a\x0cb", "a b"), ("a\x01\x02b\x1b", "ab"), ("x\ud800y", "x\ufffdy"), ("tab\tok\nline", "tab\tok\nline"),
    ("\x7f删", "删"), (None, ""),
], ids=["form-feed", "controls", "surrogate", "tab-newline", "del", "none"])
def test_clean_text(raw, clean):
    assert clean_text(raw) == clean


# XLSX -------------------------------------------------------------------------------------------

def xlsx_values(path: Path) -> dict:
    from openpyxl import load_workbook

    wb = load_workbook(path)
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in wb.worksheets}


def test_xlsx_golden_cell_values(report):
    out, _ = report
    values = xlsx_values(out / "coverage.xlsx")
    assert list(values) == ["总览", "缺失清单", "证据", "按要求统计"]
    check_gold("coverage.xlsx.json", json.dumps(values, ensure_ascii=False, indent=1, default=str) + "\n")


def test_xlsx_has_no_formula_and_neutralises_injection(report):
    from openpyxl import load_workbook

    out, _ = report
    wb = load_workbook(out / "coverage.xlsx")
    texts = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
                if isinstance(c.value, str):
                    texts.append(c.value)
                    assert not c.value.startswith(("=", "+", "-", "@", "\t", "\r")), (ws.title, c.coordinate)
    for key in ("hyperlink", "plus", "at", "minus", "tab", "cr"):
        assert "'" + clean_text(HOSTILE[key]) in texts, key
    assert "孤立代理\ufffd字符" in texts and "第一页结束 第二页开始" in texts and "控制字符与删除符" in texts
    assert HOSTILE["script"] + "支部开展主题党日活动" in texts


def test_xlsx_layout(report):
    from openpyxl import load_workbook

    out, _ = report
    wb = load_workbook(out / "coverage.xlsx")
    ws = wb["总览"]
    assert ws.freeze_panes == "B3"
    assert ws.auto_filter.ref == "A2:AB7"
    assert ws["I2"].value == "2.1.1" and ws["I1"].value.startswith("2.1 ")
    statuses = {ws.cell(row=r, column=c).value for r in range(3, 8) for c in range(9, 29)}
    assert statuses <= {"已覆盖", "证据不足", "缺失", None}
    covered = next(ws.cell(row=r, column=9) for r in range(3, 8) if ws.cell(row=r, column=9).value == "已覆盖")
    assert covered.fill.fgColor.rgb.endswith("CFECCF")
    for name in ("缺失清单", "证据", "按要求统计"):
        assert wb[name].freeze_panes == "A2" and wb[name].auto_filter.ref


@pytest.mark.parametrize("value, cell", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-2", "'-2"), ("@A1", "'@A1"), ("\t1", "'\t1"), ("\r1", "'\r1"),
    ("a=1", "a=1"), ("x" * 40000, "x" * 32765 + "…"),
], ids=["eq", "plus", "minus", "at", "tab", "cr", "inner", "long"])
def test_cell_text(value, cell):
    assert cell_text(value) == cell


# DOCX -------------------------------------------------------------------------------------------

def test_docx_report(report, result):
    import docx
    from docx.oxml.ns import qn

    out, _ = report
    d = docx.Document(out / "report.docx")
    texts = [p.text for p in d.paragraphs]
    assert texts[0] == "工作总结覆盖情况报告" and d.paragraphs[0].style.name == "Title"
    assert any(t.startswith("生成时间：2024年1月15日") for t in texts)
    headings = [p.text for p in d.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:4] == ["一、总体情况", "二、各项要求覆盖情况", "三、各支部缺失要求",
                            "（一）" + Path(HOSTILE_FILE).stem]
    assert "四、处理失败的文件" in headings and "附录：证据摘录" in headings
    assert any("2.1.3 严守党的政治纪律规矩" in t for t in texts)
    assert any(t.startswith("共审核工作总结 5 份（处理失败 1 份）") and "总体覆盖率 45.0%" in t for t in texts)
    assert any(HOSTILE["hyperlink"] in t for t in texts)
    summary = d.tables[0]
    assert [c.text for c in summary.rows[0].cells] == ["支部", "已覆盖", "证据不足", "缺失", "覆盖率"]
    assert [c.text for c in summary.rows[-1].cells] == ["合计", "36", "2", "42", "45.0%"]
    fonts = {name: d.styles[name].element.rPr.rFonts.get(qn("w:eastAsia"))
             for name in ("Normal", "Title", "Heading 1", "Heading 2")}
    assert fonts == {"Normal": "仿宋", "Title": "黑体", "Heading 1": "黑体", "Heading 2": "楷体"}
    assert d.styles["Heading 1"].element.rPr.rFonts.get(qn("w:eastAsiaTheme")) is None
    assert d.core_properties.author == "plancov"
    footer = d.sections[0].footer.paragraphs[0]._p.xml
    assert "PAGE" in footer


def test_docx_bolds_terms_in_quotes(report):
    import docx

    out, _ = report
    d = docx.Document(out / "report.docx")
    quotes = [p for p in d.paragraphs if p.style.name == "Evidence Quote"]
    assert any(r.bold and r.text == "三会一课" for p in quotes for r in p.runs)


@pytest.mark.parametrize("n, text", [(1, "一"), (10, "十"), (12, "十二"), (20, "二十"), (99, "九十九"), (100, "100")])
def test_chinese_number(n, text):
    assert chinese_number(n) == text


# Terminal ---------------------------------------------------------------------------------------

TERMINAL_ZH = """\
支部                                要求数  已覆盖  证据不足  缺失数  覆盖率  缺失
----------------------------------------------------------------------------------
<img src=x onerror=alert(1)>&amp;       20       1         0      19    5.0%  2.1.1-2.6.3
中共澜州市税务局机关第三支部委员会      20       3         1      16   15.0%  2.1.2-2.1.4, 2.2.2-2.3.1, 2.3.3-2.6.1, 2.6.3, 2.6.4
中共枫浦市税务局稽查局支部委员会        20      12         1       7   60.0%  2.1.3, 2.1.4, 2.5.3-2.6.4
北渚区财政局机关第二党支部              20      20         0       0  100.0%
s004                                                                          处理失败 (读取): s004.doc: legacy Word/WPS or encrypted Office file (OLE container) is not supported; open it and save it as .docx
----------------------------------------------------------------------------------
合计                                    80      36         2      42   45.0%
"""


def test_terminal_table(result):
    assert render_terminal(result) == TERMINAL_ZH


def test_terminal_skip_covered_in_english(result):
    text = render_terminal(result, lang="en", skip_covered=True)
    lines = text.splitlines()
    assert lines[0].split() == ["Branch", "Reqs", "Covered", "Weak", "Miss", "Cover", "Missing"]
    assert "北渚区财政局机关第二党支部" not in text
    assert lines[-1] == "1 branches skipped due to complete coverage."
    assert any(line.startswith("Total") and line.endswith("45.0%") for line in lines)


def test_terminal_columns_line_up_with_wide_characters(result):
    lines = render_terminal(result).splitlines()
    ends = {width(line[: line.index("%") + 1]) for line in lines if "%" in line and not line.startswith("s004")}
    assert len(ends) == 1


def test_compress_ids():
    order = PLAN.requirement_ids
    assert compress_ids(["2.1.1", "2.1.2"], order) == "2.1.1, 2.1.2"
    assert compress_ids(list(order), order) == "2.1.1-2.6.4"
    assert compress_ids([], order) == ""


# Atomic writes ----------------------------------------------------------------------------------

def test_write_atomic_replaces_and_leaves_no_temp_file(tmp_path):
    target = tmp_path / "a.txt"
    write_atomic(target, "旧")
    write_atomic(target, "新")
    assert target.read_text(encoding="utf-8") == "新"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]
    assert stat.S_IMODE(target.stat().st_mode) & 0o044  # readable by others, not mkstemp's 0600


def test_failure_keeps_the_previous_file(tmp_path):
    target = tmp_path / "a.txt"
    target.write_text("previous", encoding="utf-8")
    with pytest.raises(RuntimeError):
        with atomic_open(target, "wb") as f:
            f.write(b"half")
            raise RuntimeError("crash")
    assert target.read_text(encoding="utf-8") == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_reporter_crash_leaves_previous_reports_intact(result, tmp_path, monkeypatch):
    write_reports(result, tmp_path, created=CREATED)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    import openpyxl

    def boom(self, f):
        f.write(b"PK partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(openpyxl.Workbook, "save", boom)
    with pytest.raises(ReportWriteError, match="No space left on device"):
        write_reports(result, tmp_path, formats=("xlsx",), created=CREATED)
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert after == before


def test_write_reports_refuses_unknown_format_and_language(result, tmp_path):
    with pytest.raises(ValueError, match="formats must be among json, html, xlsx, docx; got 'pdf'"):
        write_reports(result, tmp_path, formats=("pdf",))
    with pytest.raises(ValueError, match="lang must be one of zh, en; got 'fr'"):
        write_reports(result, tmp_path, lang="fr")


def test_write_reports_into_a_file_is_a_write_error(result, tmp_path):
    f = tmp_path / "f"
    f.write_text("x")
    with pytest.raises(ReportWriteError, match="Cannot"):
        write_reports(result, f, formats=("json",))


def test_labels_have_both_languages():
    assert all(len(v) == len(LANGS) and all(v) for v in TABLE.values())
    assert labels("zh")["covered"] == "已覆盖" and labels("en")["covered"] == "Covered"
    assert set(FORMATS) == {"json", "html", "xlsx", "docx"}


def test_reports_for_another_plan(tmp_path):
    from pipeline.plan import parse_plan
    from pipeline.types import Document, Paragraph

    from plan_fixtures import DUNHAO_PLAN
    from report_fixtures import make_prediction

    plan = parse_plan(Document("p.txt", "txt", tuple(Paragraph(i, t) for i, t in enumerate(DUNHAO_PLAN))))
    rid = plan.requirement_ids[0]
    res = compute_coverage(plan, [make_prediction(plan, "x.txt", [("落实第一议题制度。", "evidence", {rid: 0.9})])])
    paths = write_reports(res, tmp_path, created=CREATED)
    assert {p.name for p in paths} >= {"coverage.json", "index.html", "coverage.xlsx", "report.docx"}
    assert load_coverage_json(tmp_path / "coverage.json").totals == res.totals


# CLI --------------------------------------------------------------------------------------------

@pytest.fixture
def coverage_json(report, tmp_path):
    out, _ = report
    src = tmp_path / "in" / "coverage.json"
    src.parent.mkdir()
    src.write_bytes((out / "coverage.json").read_bytes())
    return src


def test_cli_report_ok(coverage_json, tmp_path, capsys):
    out = tmp_path / "review"
    assert main(["report", str(coverage_json), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines()[0].split()[:2] == ["支部", "要求数"]
    assert captured.out.rstrip().endswith("45.0%")
    assert {"coverage.json", "index.html", "coverage.xlsx", "report.docx"} <= {p.name for p in out.iterdir()}


def test_cli_report_in_place_does_not_rewrite_its_input(coverage_json, capsys):
    before = coverage_json.read_bytes()
    assert main(["report", str(coverage_json), "--lang", "en", "--skip-covered"]) == 0
    assert coverage_json.read_bytes() == before
    assert (coverage_json.parent / "index.html").exists()
    assert "1 branches skipped due to complete coverage." in capsys.readouterr().out


def test_cli_report_bad_file_exits_1(tmp_path, capsys):
    bad = tmp_path / "coverage.json"
    bad.write_text('{"format_version": 1}', encoding="utf-8")
    assert main(["report", str(bad)]) == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"plancov: error: Cannot read {str(bad)!r}: not a plancov coverage.json (format_version 1): "
        "at (top level): 'meta' is a required property")
    assert main(["report", str(tmp_path / "none.json")]) == 1
    assert capsys.readouterr().err.splitlines()[-1] == f"plancov: error: Cannot read {str(tmp_path / 'none.json')!r}: no such file"


@pytest.mark.parametrize("argv, message", [
    (["report"], "the following arguments are required: COVERAGE_JSON"),
    (["report", "c.json", "--lang", "fr"], "argument --lang: invalid choice: 'fr'"),
    (["report", "c.json", "--fail-under", "abc"], "argument --fail-under: must be a number from 0 to 100; got 'abc'"),
    (["report", "c.json", "--fail-under", "101"], "argument --fail-under: must be from 0 to 100; got 101"),
], ids=["no-file", "lang", "not-number", "over-100"])
def test_cli_report_usage_exits_2(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_cli_report_fail_under_exits_3(coverage_json, tmp_path, capsys):
    assert main(["report", str(coverage_json), "--out", str(tmp_path / "o"), "--fail-under", "45"]) == 0
    capsys.readouterr()
    assert main(["report", str(coverage_json), "--out", str(tmp_path / "o"), "--fail-under", "45.1"]) == 3
    captured = capsys.readouterr()
    assert captured.err.splitlines()[-1] == "plancov: coverage 45.0% is below --fail-under 45.1"
    assert "合计" in captured.out
    assert (tmp_path / "o" / "index.html").exists()


texts = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=12)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(st.tuples(texts, st.sampled_from(("evidence", "heading", "plan")),
                                   st.dictionaries(st.sampled_from(PLAN.requirement_ids[:4]),
                                                   st.floats(0, 1, allow_nan=False), max_size=2)),
                         min_size=1, max_size=4), max_size=3))
def test_json_round_trips_any_text(docs):
    from pipeline.reporters.json_report import coverage_from_dict

    from report_fixtures import make_prediction

    items = [make_prediction(PLAN, f"d/{n}.txt", paras) for n, paras in enumerate(docs)]
    first = json.loads(json.dumps(coverage_to_dict(compute_coverage(PLAN, items), created=CREATED)))
    jsonschema.validate(first, schema(), cls=jsonschema.Draft202012Validator)
    again = coverage_to_dict(coverage_from_dict(first), created=CREATED)
    assert json.loads(json.dumps(again)) == first
