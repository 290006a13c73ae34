"""Render paragraphs into a PDF laid out like a Chinese official document (GB/T 9704 habit).

A4 paper, a body of ``chars_per_line`` CJK characters a line and ``lines_per_page`` lines a page
(28 × 22 at 16 pt by default: 三号 type on a 156 mm × 225 mm body), body paragraphs with a
first-line indent of two characters, an optional centred title, a running header and ``— N —``
page numbers. It uses reportlab's built-in CID font ``STSong-Light``, so no font file is needed,
and the output is byte-for-byte reproducible.
"""

from __future__ import annotations

import functools
import math
import os
import re
from pathlib import Path
from typing import Iterable, Sequence

from . import check_indices as _check_indices

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

FONT = "STSong-Light"
PAGE_WIDTH, PAGE_HEIGHT = 595.2756, 841.8898  # A4 in points
MM = 72 / 25.4
TOP_MARGIN = 37 * MM
BOTTOM_MARGIN = 35 * MM
TITLE_SCALE = 22 / 16  # 二号 title over 三号 body
HEADER_SIZE = 10.5
PAGE_NUMBER_SIZE = 14
#: blank space between the cells of a table-like row, in body characters
TABLE_GAP_CHARS = 2
_UNITS = re.compile(r"[!-~]+| |[^ ]")


@functools.lru_cache(maxsize=1)
def _register_font() -> str:
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _width(ch: str, size: float) -> float:
    return pdfmetrics.stringWidth(ch, FONT, size)


def wrap(text: str, size: float, first_width: float, width: float) -> list[str]:
    """Cut ``text`` into lines by measured glyph width.

    CJK text breaks between any two characters (punctuation falls where it falls); a run of
    ASCII letters, digits and signs (``Windows``, ``5.2%``) is kept whole, as word processors do,
    unless it is longer than a line. The first line may be ``first_width`` wide (it carries the
    indent), the others ``width``. Spaces never start a line: a space at a break stays,
    invisible, at the end of the line before, so a reader sees that the lines were separated
    by a space.
    """
    _register_font()
    lines: list[str] = []
    cur: list[str] = []
    used = 0.0
    limit = first_width
    for unit in _UNITS.findall(text):
        if unit == " ":
            if cur:
                cur.append(unit)
                used += _width(unit, size)
            elif lines:
                lines[-1] += unit
            continue
        w = pdfmetrics.stringWidth(unit, FONT, size)
        pieces = [unit] if w <= width else list(unit)
        for piece in pieces:
            w = pdfmetrics.stringWidth(piece, FONT, size)
            if cur and used + w > limit + 1e-6:
                lines.append("".join(cur))
                cur, used, limit = [], 0.0, width
            cur.append(piece)
            used += w
    if cur:
        lines.append("".join(cur))
    return lines


class _Layout:
    """Page geometry and the running state of the canvas (page, line slot)."""

    def __init__(self, c: canvas.Canvas, *, font_size: float, chars_per_line: int,
                 lines_per_page: int, header_text: str | None, page_numbers: bool):
        self.c = c
        self.size = font_size
        self.body_width = chars_per_line * font_size
        self.left = (PAGE_WIDTH - self.body_width) / 2
        if self.left < 18:
            raise ValueError(f"{chars_per_line} characters of {font_size} pt do not fit on A4")
        self.pitch = (PAGE_HEIGHT - TOP_MARGIN - BOTTOM_MARGIN) / lines_per_page
        if self.pitch < font_size * 1.05:
            raise ValueError(f"{lines_per_page} lines of {font_size} pt do not fit on A4")
        self.lines_per_page = lines_per_page
        # the first baseline sits one ascent below the top of the body
        self.first_baseline = PAGE_HEIGHT - TOP_MARGIN - font_size * 0.88
        self.header_text = header_text
        self.page_numbers = page_numbers
        self.page = 1
        self.slot = 0
        self.dirty = False

    def _decorate(self) -> None:
        c = self.c
        if self.header_text:
            c.setFont(FONT, HEADER_SIZE)
            c.drawCentredString(PAGE_WIDTH / 2, PAGE_HEIGHT - 20 * MM, self.header_text)
            c.setLineWidth(0.5)
            rule = PAGE_HEIGHT - 20 * MM - 4
            c.line(self.left, rule, self.left + self.body_width, rule)
        if self.page_numbers:
            c.setFont(FONT, PAGE_NUMBER_SIZE)
            c.drawCentredString(PAGE_WIDTH / 2, BOTTOM_MARGIN - 7 * MM - PAGE_NUMBER_SIZE,
                                f"— {self.page} —")

    def finish_page(self) -> None:
        self._decorate()
        self.c.showPage()
        self.page += 1
        self.slot = 0
        self.dirty = False

    def baseline(self, slots: int = 1) -> float:
        """Reserve ``slots`` line slots and return the baseline of the last one."""
        if self.slot + slots > self.lines_per_page and self.dirty:
            self.finish_page()
        y = self.first_baseline - (self.slot + slots - 1) * self.pitch
        self.slot += slots
        self.dirty = True
        return y

    def skip(self, slots: int) -> None:
        self.slot = min(self.slot + slots, self.lines_per_page)

    def text(self, x: float, y: float, s: str, size: float, *, bold: bool = False) -> None:
        t = self.c.beginText(x, y)
        t.setFont(FONT, size)
        if bold:
            # fill + stroke: the look of a 黑体 heading without a second font
            self.c.setLineWidth(size * 0.03)
            t.setTextRenderMode(2)
        t.textOut(s)
        self.c.drawText(t)


def make_pdf(paragraphs: Sequence[str], path: str | os.PathLike[str], *,
             headings: Iterable[int] = (), title_index: int | None = None,
             chars_per_line: int = 28, header_text: str | None = None, page_numbers: bool = True,
             font_size: float = 16, lines_per_page: int = 22,
             table_rows: Iterable[int] | None = None) -> Path:
    """Write ``paragraphs`` as a PDF laid out like a Chinese official document.

    Args:
        paragraphs: the paragraph texts, in order (outer whitespace is dropped; none may be empty).
        path: the file to write.
        headings: indices of headings: drawn like body lines (first-line indent of two
            characters, GB/T 9704 habit for ``一、`` headings) in a heavier stroke.
        title_index: index of the title: centred, in a larger size, followed by a blank line.
        chars_per_line: CJK characters a body line holds; with ``font_size`` it sets the margins.
        header_text: running header drawn at the top of every page.
        page_numbers: draw ``— N —`` centred at the bottom of every page.
        font_size: body size in points.
        lines_per_page: body lines a page holds; sets the line pitch.
        table_rows: indices of table-like rows (cells separated by spaces, e.g.
            ``"3 主题党日 每月开展 已完成"``): drawn unindented on one line with the cells two
            characters apart.

    Returns:
        The path written. The same arguments always give the same bytes.

    Raises:
        ValueError: an empty paragraph, an index out of range, a table row longer than a line,
            or a geometry that does not fit on A4.
    """
    texts = [p.strip() for p in paragraphs]
    if any(not t for t in texts):
        raise ValueError(f"empty paragraph at index {texts.index('')}")
    n = len(texts)
    heads = _check_indices("headings", headings, n)
    rows = _check_indices("table_rows", table_rows or (), n)
    if title_index is not None:
        _check_indices("title_index", [title_index], n)
    _register_font()

    out = Path(path)
    c = canvas.Canvas(os.fspath(out), pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=1,
                      pageCompression=1)
    lay = _Layout(c, font_size=font_size, chars_per_line=chars_per_line,
                  lines_per_page=lines_per_page, header_text=header_text,
                  page_numbers=page_numbers)
    size = font_size
    for i, text in enumerate(texts):
        if i == title_index:
            tsize = round(size * TITLE_SCALE, 1)
            slots = max(1, math.ceil(tsize * 1.1 / lay.pitch))
            for line in wrap(text, tsize, lay.body_width, lay.body_width):
                w = pdfmetrics.stringWidth(line.rstrip(), FONT, tsize)
                y = lay.baseline(slots)
                lay.text((PAGE_WIDTH - w) / 2, y, line, tsize)
            lay.skip(1)
        elif i in rows:
            cells = text.split()
            gap = TABLE_GAP_CHARS * size
            widths = [pdfmetrics.stringWidth(cell, FONT, size) for cell in cells]
            if sum(widths) + gap * (len(cells) - 1) > lay.body_width + 1e-6:
                raise ValueError(f"table row {i} does not fit on one line: {text!r}")
            y = lay.baseline()
            x = lay.left
            for cell, w in zip(cells, widths):
                lay.text(x, y, cell, size)
                x += w + gap
        else:
            indent = 2 * size
            for k, line in enumerate(wrap(text, size, lay.body_width - indent, lay.body_width)):
                y = lay.baseline()
                lay.text(lay.left + (indent if k == 0 else 0), y, line, size, bold=i in heads)
    if lay.dirty or lay.page == 1:
        lay.finish_page()
    c.save()
    return out


__all__ = ["make_pdf", "wrap"]
