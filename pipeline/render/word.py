"""Render paragraphs into a Word ``.docx`` file (python-docx), for fixtures, corpus and benchmarks.

The layout follows Chinese official documents: body paragraphs get a first-line indent of two
characters; headings are Word heading styles (or bold Normal paragraphs); table-like rows become a
real Word table; leading ``一、`` / ``（一）`` / ``1.`` / ``（1）`` / ``①`` markers can be turned into
Word automatic numbering. Reading the file back with
:class:`~pipeline.readers.docx_reader.DocxReader` gives the same texts (each ``.strip()``-ped;
empty paragraphs are written but read back as nothing).

The output is reproducible: fixed core-properties dates and fixed ZIP timestamps make the same
arguments give the same bytes.
"""

from __future__ import annotations

import datetime as _dt
import io
import os
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Pt

from ..numbering import Marker, match_marker
from . import check_indices as _check_indices
from ..readers.docx_reader import format_number

#: Body font size in points; the two-character first-line indent is twice this.
FONT_SIZE = 12
_INDENT_TWIPS = 2 * FONT_SIZE * 20
_FIXED_TIME = _dt.datetime(2000, 1, 1, 0, 0, 0)
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)

# Word number format and level text of each marker family (numbering.LEVEL_NAMES order)
_FAMILY_DEFAULTS = (("chineseCounting", "%1、"), ("chineseCounting", "（%2）"), ("decimal", "%3."),
                    ("decimal", "（%4）"), ("decimalEnclosedCircle", "%5"))
_NUMBER = re.compile(r"[一二三四五六七八九十〇零两]+|[0-9]+|[０-９]+|[①-⑳]")


def split_cells(text: str) -> list[str]:
    """Cells of a table-like row: first token, middle, last token (split at single spaces).

    Falls back to one cell when the split would not join back to ``text`` with single spaces
    (an empty cell, or a cell with outer whitespace, e.g. two spaces in a row).

    >>> split_cells("3 主题党日 每月开展 已完成")
    ['3', '主题党日 每月开展', '已完成']
    """
    first, last = text.find(" "), text.rfind(" ")
    if first < 0:
        return [text]
    cells = [text[:first], text[first + 1:last], text[last + 1:]] if first < last else \
        [text[:first], text[first + 1:]]
    if all(c and c == c.strip() for c in cells) and " ".join(cells) == text:
        return cells
    return [text]


def _marker_format(m: Marker, index: int) -> tuple[str, str]:
    """(numFmt, lvlText) reproducing marker ``m`` exactly, or ValueError."""
    found = _NUMBER.search(m.marker)
    if found is None:
        raise ValueError(f"paragraph {index}: no number in marker {m.marker!r}")
    digits = found.group()
    if m.level in (0, 1):
        fmt = "chineseCounting"
    elif digits[0] in "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳":
        fmt = "decimalEnclosedCircle"
    elif digits[0] in "０１２３４５６７８９":
        fmt = "decimalFullWidth"
    else:
        fmt = "decimal"
    if format_number(m.number, fmt) != digits:
        raise ValueError(f"paragraph {index}: marker {m.marker!r} has no Word number format "
                         f"(Word would write {format_number(m.number, fmt)!r})")
    text = m.marker[:found.start()] + f"%{m.level + 1}" + m.marker[found.end():]
    return fmt, text


class _Numberer:
    """Turns leading markers into Word numbering, mirroring how Word counts.

    Counters belong to the abstract definition (a "list"). A number that is not the next one
    gets a new ``w:num`` on the same list with a ``w:startOverride``; a marker whose format
    differs from one already used at its level starts a new list.
    """

    def __init__(self, document):
        self.numbering = document.part.numbering_part.element
        used = [int(a.get(qn("w:abstractNumId"))) for a in self.numbering.findall(qn("w:abstractNum"))]
        self.next_abstract = max(used, default=-1) + 1
        self.lists: list[tuple[int, dict[int, tuple[str, str]]]] = []
        self.formats: dict[int, tuple[str, str]] | None = None
        self.used: set[int] = set()
        self.abstract_id = -1
        self.num_id = 0
        self.counters: list[int | None] = [None] * 9

    def _new_list(self) -> None:
        self.formats = dict(self.formats or {})
        self.abstract_id = self.next_abstract
        self.next_abstract += 1
        self.lists.append((self.abstract_id, self.formats))
        self.used = set()
        self.counters = [None] * 9
        self.num_id = self.numbering.add_num(self.abstract_id).numId

    def apply(self, paragraph, index: int, text: str) -> str:
        """Give ``paragraph`` the numbering of ``text``'s marker; return the text after it."""
        m = match_marker(text)
        if m is None:
            raise ValueError(f"paragraph {index} is in `numbered` but starts with no marker: {text[:20]!r}")
        fmt, lvl_text = _marker_format(m, index)
        level = m.level
        if self.formats is None or (level in self.used and self.formats.get(level) != (fmt, lvl_text)):
            self._new_list()
        self.formats[level] = (fmt, lvl_text)
        self.used.add(level)
        expected = 1 if self.counters[level] is None else self.counters[level] + 1
        if m.number != expected:
            num = self.numbering.add_num(self.abstract_id)
            num.add_lvlOverride(ilvl=level).add_startOverride(m.number)
            self.num_id = num.numId
        self.counters[level] = m.number
        for k in range(level + 1, 9):
            self.counters[k] = None
        numpr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
        numpr.get_or_add_ilvl().val = level
        numpr.get_or_add_numId().val = self.num_id
        stripped = text.lstrip(" \u3000\u00a0")
        return stripped[len(m.marker):]

    def finish(self) -> None:
        """Write the abstract definitions (before every ``w:num``, as the schema wants)."""
        anchor = self.numbering.findall(qn("w:abstractNum"))
        for abstract_id, formats in self.lists:
            levels = []
            for ilvl in range(9):
                default = _FAMILY_DEFAULTS[ilvl] if ilvl < len(_FAMILY_DEFAULTS) else ("decimal", f"%{ilvl + 1}.")
                fmt, text = formats.get(ilvl, default)
                levels.append(
                    f'<w:lvl w:ilvl="{ilvl}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/>'
                    f'<w:suff w:val="nothing"/><w:lvlText w:val="{_xml_attr(text)}"/>'
                    f'<w:lvlJc w:val="left"/><w:pPr><w:ind w:left="0" w:firstLine="{_INDENT_TWIPS}"/>'
                    f'</w:pPr></w:lvl>')
            el = parse_xml(f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{abstract_id}">'
                           f'<w:multiLevelType w:val="multilevel"/>{"".join(levels)}</w:abstractNum>')
            if anchor:
                anchor[-1].addnext(el)
            else:
                self.numbering.insert(0, el)
            anchor = [el]


def _xml_attr(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")


def _first_line_indent(paragraph) -> None:
    ind = paragraph._p.get_or_add_pPr().get_or_add_ind()
    ind.set(qn("w:firstLineChars"), "200")
    ind.set(qn("w:firstLine"), str(_INDENT_TWIPS))


def _add_field(paragraph, instruction: str, result: str) -> None:
    def fld(kind: str):
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        paragraph.add_run()._r.append(el)

    fld("begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    paragraph.add_run()._r.append(instr)
    fld("separate")
    paragraph.add_run(result)
    fld("end")


def _heading_levels(headings, texts: list[str]) -> dict[int, int]:
    if isinstance(headings, Mapping):
        levels = {int(i): int(v) for i, v in headings.items()}
    else:
        levels = {}
        for i in headings:
            m = match_marker(texts[i]) if 0 <= i < len(texts) else None
            levels[i] = m.level + 1 if m is not None else 1
    _check_indices("headings", levels, len(texts))
    bad = {i: v for i, v in levels.items() if not 1 <= v <= 9}
    if bad:
        raise ValueError(f"heading levels must be 1..9: {bad}")
    return levels


def _add_table(document, rows: list[str]) -> None:
    cells = [split_cells(r) for r in rows]
    cols = max(len(c) for c in cells)
    table = document.add_table(rows=len(rows), cols=cols)
    table.style = document.styles["Table Grid"]
    for r, row_cells in enumerate(cells):
        for c, text in enumerate(row_cells):
            table.cell(r, c).text = text


def _reproducible(raw: bytes) -> bytes:
    """The same package with fixed entry timestamps and attributes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            zi.create_system = 0
            zout.writestr(zi, zin.read(info.filename))
    return out.getvalue()


def make_docx(paragraphs: Sequence[str], path: str | os.PathLike[str], *,
              headings: Iterable[int] | Mapping[int, int] = (), title_index: int | None = None,
              header_text: str | None = None, page_field_footer: bool = True,
              table_rows: Iterable[int] | None = None, numbered: Iterable[int] | None = None,
              styled_headings: bool = True) -> Path:
    """Write ``paragraphs`` as a Word document.

    Args:
        paragraphs: the paragraph texts, in order, written verbatim (``"\\t"`` becomes a tab,
            ``"\\n"`` a soft line break, as python-docx does). Empty ones are written as empty
            paragraphs.
        path: the file to write.
        headings: indices of headings, or a mapping index → heading level (1-9). With a plain
            collection the level follows the marker family (``一、`` 1, ``（一）`` 2, ``1.`` 3,
            ``（1）`` 4, ``①`` 5; no marker 1).
        title_index: index of the document title: Word's "Title" style (or, with
            ``styled_headings=False``, a bold centred Normal paragraph), no indent.
        header_text: text of the section header (read back: absent).
        page_field_footer: put a ``PAGE`` field in the section footer (read back: absent).
        table_rows: indices of table-like rows, e.g. ``"3 主题党日 每月开展 已完成"``. Each run of
            consecutive indices becomes one Word table (style "Table Grid"), one row per
            paragraph, cut by :func:`split_cells` into at most three cells (first token, middle,
            last token) so that the reader's cells-joined-by-one-space gives the text back.
        numbered: indices of paragraphs whose leading marker (``一、`` ``（一）`` ``1.`` ``（1）``
            ``①``, full- or half-width) becomes Word automatic numbering: the marker is removed
            from the text and produced by ``w:numPr`` (level = marker family, suffix
            ``nothing``); a number that does not follow on gets a ``w:startOverride``.
        styled_headings: headings use Word's "Heading N" styles; when False they are Normal
            paragraphs made bold by direct formatting, with the body's first-line indent.

    Body paragraphs (and unstyled headings) get a first-line indent of two characters
    (``w:firstLineChars="200"`` plus the equivalent 24 pt); the Normal style is 12 pt.

    Returns:
        The path written. The same arguments always give the same bytes.

    Raises:
        ValueError: an index out of range, a paragraph both numbered and a table row, a
            ``numbered`` paragraph without a marker or with a number Word cannot write
            (e.g. ``两、``), a heading level outside 1-9.
    """
    texts = [str(p) for p in paragraphs]
    n = len(texts)
    levels = _heading_levels(headings, texts)
    rows = _check_indices("table_rows", table_rows or (), n)
    numbers = _check_indices("numbered", numbered or (), n)
    if title_index is not None:
        _check_indices("title_index", [title_index], n)
    clash = sorted(rows & (numbers | set(levels) | ({title_index} - {None})))
    if clash:
        raise ValueError(f"table rows cannot also be headings, the title or numbered: {clash}")

    document = docx.Document()
    normal = document.styles["Normal"]
    normal.font.size = Pt(FONT_SIZE)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "宋体")
    props = document.core_properties
    props.author = "plancov"
    props.last_modified_by = "plancov"
    props.comments = ""
    props.revision = 1
    props.created = props.modified = props.last_printed = _FIXED_TIME
    if title_index is not None:
        props.title = texts[title_index].strip()
    numberer = _Numberer(document) if numbers else None

    i = 0
    while i < n:
        if i in rows:
            j = i
            while j < n and j in rows:
                j += 1
            _add_table(document, texts[i:j])
            i = j
            continue
        text = texts[i]
        if i == title_index:
            if styled_headings:
                para = document.add_paragraph(style="Title")
            else:
                para = document.add_paragraph()
                para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif i in levels and styled_headings:
            para = document.add_paragraph(style=f"Heading {levels[i]}")
        else:
            para = document.add_paragraph()
            _first_line_indent(para)
        if i in numbers:
            text = numberer.apply(para, i, text)
        run = para.add_run(text)
        if not styled_headings and (i in levels or i == title_index):
            run.bold = True
        i += 1
    if n and n - 1 in rows:
        # Word wants a paragraph after a table that ends the body
        document.add_paragraph()
    if numberer is not None:
        numberer.finish()

    section = document.sections[0]
    if header_text is not None:
        section.header.paragraphs[0].text = header_text
    if page_field_footer:
        _add_field(section.footer.paragraphs[0], "PAGE", "1")

    buf = io.BytesIO()
    document.save(buf)
    out = Path(path)
    out.write_bytes(_reproducible(buf.getvalue()))
    return out


__all__ = ["make_docx", "split_cells", "FONT_SIZE"]
