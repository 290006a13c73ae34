"""``report.docx``: a formal Word report for circulation.

Laid out after the usual Chinese official-document conventions (GB/T 9704): A4 with 37/35/28/26 mm
margins, title and first-level headings in 黑体, second-level headings in 楷体, body in 仿宋 三号
with Latin text and digits in Times New Roman, page numbers as ``— 1 —``. Fonts are set by name in
the styles only; no font file is needed to write the report, and Word substitutes on machines
that lack one.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from ..coverage import CoverageResult
from . import clean_text, format_score, highlight_spans, quotes_for
from .atomic import atomic_open
from .labels import labels

log = logging.getLogger(__name__)

FILE_NAME = "report.docx"
#: Quotes per branch and requirement in the evidence appendix.
APPENDIX_QUOTES = 3
BODY_FONT, HEADING_FONT, SUBHEADING_FONT, LATIN_FONT = "仿宋", "黑体", "楷体", "Times New Roman"
_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 21 → 二十一 (for 1 ≤ n ≤ 99; larger numbers as digits)."""
    if not 1 <= n <= 99:
        return str(n)
    tens, ones = divmod(n, 10)
    out = ("" if tens == 1 else _DIGITS[tens]) + "十" if tens else ""
    return out + (_DIGITS[ones] if ones else "")


class DocxReporter:
    """Writes ``report.docx`` with python-docx."""

    format = "docx"

    def write(self, result: CoverageResult, out_dir: Path, *, lang: str = "zh", created: datetime | None = None) -> list[Path]:
        """Write ``out_dir/report.docx`` atomically."""
        document = build_document(result, lang=lang, created=created)
        path = out_dir / FILE_NAME
        with atomic_open(path, "wb") as f:
            document.save(f)
        return [path]


def _set_fonts(style_or_run, east_asia: str, latin: str = LATIN_FONT) -> None:
    from docx.oxml.ns import qn

    style_or_run.font.name = latin
    rpr = style_or_run.element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    # Theme font attributes win over names; the default template's headings carry them.
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)


def _setup_styles(document) -> None:
    from docx.enum.style import WD_STYLE_TYPE
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    styles = document.styles
    normal = styles["Normal"]
    _set_fonts(normal, BODY_FONT)
    normal.font.size = Pt(16)
    pf = normal.paragraph_format
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = Pt(28)
    pf.space_before = pf.space_after = Pt(0)

    title = styles["Title"]
    _set_fonts(title, HEADING_FONT)
    title.font.size, title.font.bold = Pt(22), False
    title.font.color.rgb = RGBColor(0, 0, 0)
    ppr = title.element.get_or_add_pPr()
    for border in ppr.findall(qn("w:pBdr")):
        ppr.remove(border)
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    title.paragraph_format.space_before = Pt(12)
    title.paragraph_format.space_after = Pt(12)

    for name, font in (("Heading 1", HEADING_FONT), ("Heading 2", SUBHEADING_FONT)):
        st = styles[name]
        _set_fonts(st, font)
        st.font.size, st.font.bold = Pt(16), False
        st.font.color.rgb = RGBColor(0, 0, 0)
        st.paragraph_format.space_before = Pt(6)
        st.paragraph_format.space_after = Pt(0)
        st.paragraph_format.first_line_indent = Pt(32)

    if "Body Text Indent" not in [s.name for s in styles]:
        body = styles.add_style("Body Text Indent", WD_STYLE_TYPE.PARAGRAPH)
        body.base_style = normal
    body = styles["Body Text Indent"]
    body.paragraph_format.first_line_indent = Pt(32)

    table_text = styles.add_style("Table Text", WD_STYLE_TYPE.PARAGRAPH)
    table_text.base_style = normal
    _set_fonts(table_text, BODY_FONT)
    table_text.font.size = Pt(10.5)
    table_text.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    table_text.paragraph_format.first_line_indent = Pt(0)

    quote = styles.add_style("Evidence Quote", WD_STYLE_TYPE.PARAGRAPH)
    quote.base_style = normal
    _set_fonts(quote, SUBHEADING_FONT)
    quote.font.size = Pt(14)
    quote.paragraph_format.left_indent = Pt(28)
    quote.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    quote.paragraph_format.line_spacing = Pt(24)

    source = styles.add_style("Evidence Source", WD_STYLE_TYPE.PARAGRAPH)
    source.base_style = normal
    _set_fonts(source, BODY_FONT)
    source.font.size = Pt(10.5)
    source.paragraph_format.left_indent = Pt(28)
    source.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    source.paragraph_format.space_after = Pt(6)


def _page_setup(document) -> None:
    from docx.shared import Mm

    for section in document.sections:
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(37), Mm(35)
        section.left_margin, section.right_margin = Mm(28), Mm(26)


def _page_number_footer(document) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    for section in document.sections:
        p = section.footer.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = p.add_run("— ")
        run.font.size = Pt(14)
        for kind, text in (("begin", None), (None, " PAGE "), ("end", None)):
            r = p.add_run()
            r.font.size = Pt(14)
            if kind:
                fld = OxmlElement("w:fldChar")
                fld.set(qn("w:fldCharType"), kind)
                r._r.append(fld)
            else:
                instr = OxmlElement("w:instrText")
                instr.set(qn("xml:space"), "preserve")
                instr.text = text
                r._r.append(instr)
        p.add_run(" —").font.size = Pt(14)


def _set_style(paragraph, style_id: str):
    # Setting the style id directly: python-docx's lookup by name scans every style on each call,
    # which dominates the time of a report with thousands of paragraphs.
    paragraph._p.style = style_id
    return paragraph


class _Writer:
    """Adds paragraphs with styles looked up once.

    python-docx inserts every new body element before ``w:sectPr`` by searching the body's
    children for it, which makes a report of thousands of paragraphs quadratic; the writer keeps
    the ``sectPr`` element and inserts in front of it directly."""

    def __init__(self, document):
        self.document = document
        from docx.oxml.ns import qn

        self.ids = {s.name: s.style_id for s in document.styles}
        self._body = document.element.body
        self._sect = self._body.find(qn("w:sectPr"))

    def para(self, text: str = "", style: str = "Normal", container=None):
        if container is not None or self._sect is None:
            p = (container or self.document).add_paragraph(clean_text(text))
        else:
            from docx.oxml import OxmlElement
            from docx.text.paragraph import Paragraph

            el = OxmlElement("w:p")
            self._sect.addprevious(el)
            p = Paragraph(el, self.document._body)
            if text:
                p.add_run(clean_text(text))
        return _set_style(p, self.ids[style])

    def heading(self, text: str, level: int):
        return self.para(text, f"Heading {level}")


def _table(document, heads: list[str], rows: list[list[str]], widths_mm: list[float] | None = None,
           table_text: str = "TableText"):
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm

    table = document.add_table(rows=1, cols=len(heads))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, heads):
        cell.text = ""
        p = _set_style(cell.paragraphs[0], table_text)
        p.add_run(clean_text(text)).bold = True
        shade = OxmlElement("w:shd")
        shade.set(qn("w:val"), "clear")
        shade.set(qn("w:fill"), "E7EBEF")
        cell._tc.get_or_add_tcPr().append(shade)
    # The head row repeats on every page the table runs to.
    trpr = table.rows[0]._tr.get_or_add_trPr()
    head = OxmlElement("w:tblHeader")
    head.set(qn("w:val"), "true")
    trpr.append(head)
    from docx.table import _Cell

    # Cells straight from each row's w:tc elements: python-docx's row.cells rebuilds the grid of
    # the whole table on every call, quadratic over a long evidence table.
    for values in rows:
        row = table.add_row()
        for tc, value in zip(row._tr.tc_lst, values):
            p = _set_style(_Cell(tc, table).paragraphs[0], table_text)
            p.add_run(clean_text(value))
    if widths_mm:
        for tr in table._tbl.tr_lst:
            for tc, w in zip(tr.tc_lst, widths_mm):
                _Cell(tc, table).width = Mm(w)
    return table


def _date_text(when: datetime, lang: str) -> str:
    return f"{when.year}年{when.month}月{when.day}日" if lang == "zh" else when.strftime("%Y-%m-%d")


def build_document(result: CoverageResult, *, lang: str = "zh", created: datetime | None = None):
    """The report as a ``docx.Document``, not yet saved."""
    try:
        import docx
        from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    except ImportError:  # pragma: no cover - a declared dependency
        raise ImportError("The Word report needs python-docx: pip install python-docx") from None

    L = labels(lang)
    plan = result.plan
    reqs = plan.requirements
    document = docx.Document()
    _setup_styles(document)
    _page_setup(document)
    _page_number_footer(document)
    props = document.core_properties
    props.title = clean_text(f"{L['report_title']} · {plan.title}")[:255]
    props.author = "plancov"
    if created is not None:
        props.created = created.replace(tzinfo=None)

    w = _Writer(document)
    table_text = w.ids["Table Text"]
    w.para(L["report_title"], "Title")
    w.para(f"{L['plan']}：{plan.title}").alignment = WD_ALIGN_PARAGRAPH.CENTER
    if created is not None:
        w.para(f"{L['generated']}：{_date_text(created, lang)}").alignment = WD_ALIGN_PARAGRAPH.CENTER

    # 一、总体情况
    w.heading(L["section_summary"], 1)
    t = result.totals
    w.para(L["summary_sentence"].format(
        documents=len(result.documents), errors=len(result.error_documents), requirements=len(reqs),
        covered=t.covered, weak=t.weak, missing=t.missing, percent=t.display_percent()), "Body Text Indent")
    w.para(L["rule"], "Body Text Indent")
    rows = []
    for d in result.documents:
        if d.ok:
            n = d.numbers
            rows.append([d.branch, str(n.covered), str(n.weak), str(n.missing), f"{n.display_percent()}%"])
        else:
            rows.append([d.branch, "—", "—", "—", L["error"]])
    rows.append([L["total"], str(t.covered), str(t.weak), str(t.missing), f"{t.display_percent()}%"])
    _table(document, [L["branch"], L["covered"], L["weak"], L["missing"], L["percent"]], rows,
           [76, 20, 20, 20, 20], table_text)

    # 二、各项要求覆盖情况
    w.heading(L["section_requirements"], 1)
    rows = []
    for r in reqs:
        n = result.per_requirement[r.id]
        rows.append([r.id, r.title, str(n.covered), str(n.weak), str(n.missing)])
    _table(document, [L["requirement"], L["requirement_title"], L["branches_covered"], L["branches_weak"],
                      L["branches_missing"]], rows, [16, 80, 20, 20, 20], table_text)

    # 三、各支部缺失要求
    w.heading(L["section_gaps"], 1)
    k = 0
    complete = []
    for d in result.ok_documents:
        missing, weak = d.ids_with("missing"), d.ids_with("weak")
        if not missing and not weak:
            complete.append(clean_text(d.branch))
            continue
        k += 1
        w.heading(f"（{chinese_number(k)}）{d.branch}" if lang == "zh" else f"({k}) {d.branch}", 2)
        for label, ids in ((L["missing_list_inline"], missing), (L["weak_list"], weak)):
            if not ids:
                continue
            p = w.para("", "Body Text Indent")
            p.add_run(f"{label}{L['lp']}{len(ids)}{L['rp']}{L['colon']}").bold = True
            p.add_run(L["semicolon"].join(f"{i} {clean_text(plan.requirement(i).title)}" for i in ids))
    if complete:
        w.para(L["complete_branches"] + L["colon"] + L["enum"].join(complete),
               "Body Text Indent")

    # 四、处理失败的文件
    if result.error_documents:
        w.heading(L["section_failed"], 1)
        w.para(L["failed_note"], "Body Text Indent")
        _table(document, [L["file"], L["stage"], L["reason"]],
               [[d.path, L.get(f"stage_{d.stage}", d.stage or ""), d.error or ""] for d in result.error_documents],
               [50, 20, 86], table_text)

    # 附录：证据摘录
    w.para().add_run().add_break(WD_BREAK.PAGE)
    w.heading(L["appendix"], 1)
    w.para(L["appendix_note"].format(n=APPENDIX_QUOTES), "Body Text Indent")
    for k, d in enumerate(result.ok_documents, start=1):
        w.heading(f"（{chinese_number(k)}）{d.branch}" if lang == "zh" else f"({k}) {d.branch}", 2)
        any_quote = False
        for r in reqs:
            qs = quotes_for(d, r.id, APPENDIX_QUOTES)
            if not qs:
                continue
            any_quote = True
            rc = d.requirements[r.id]
            p = w.para("", "Body Text Indent")
            p.add_run(clean_text(f"{r.id} {r.title}")).bold = True
            p.add_run(f"{L['lp']}{L[rc.status]}{L['comma']}{L['best_score']} {format_score(rc.score)}{L['rp']}")
            for q in qs:
                qp = w.para("", "Evidence Quote")
                for text, hl in highlight_spans(q.text, q.terms):
                    run = qp.add_run(text)
                    run.bold = hl or None
                loc = [f"{L['file']} {d.file_name}"]
                if q.page:
                    loc.append(L["page_n"].format(n=q.page))
                loc.append(L["para_n"].format(n=q.index + 1))
                loc.append(f"{L['score']} {format_score(q.score)}")
                w.para(L["comma"].join(loc), "Evidence Source")
        if not any_quote:
            w.para(L["no_evidence"], "Body Text Indent")
    return document


__all__ = ["DocxReporter", "build_document", "chinese_number", "FILE_NAME"]
