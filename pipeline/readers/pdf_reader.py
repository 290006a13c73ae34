"""Read PDF files: rebuild the paragraphs of a Chinese official document from glyph positions.

pdfplumber (pdfminer.six) gives every glyph with its box, size and font; the glyphs are grouped
into lines here, and the lines into paragraphs the way GB/T 9704 documents are laid out:

* lines join with no space between CJK characters; a space is kept where the source drew one
  or left a visible gap (a gap wider than about one character, e.g. between table cells, or
  a word gap between Latin letters and digits);
* a paragraph starts at an indented line (first-line indent of about two characters), a
  centred or right-aligned line, a numbered line (:func:`pipeline.numbering.match_marker`), a
  table-like row, a change of type size, a wide vertical gap, or after a line that ends a
  sentence short of the right margin; any other line continues the paragraph, also across a
  page break;
* running headers and footers (text repeated at the same height on most pages) and page
  numbers (``— 3 —``, ``第3页 共5页``, ``3/5`` ...) are dropped, but only in the top and bottom
  bands of the page.

Pages that pdfminer reads badly are read again with PDFium (pypdfium2), whose text of every
page is compared with pdfminer's: a page is taken from PDFium when pdfminer's glyphs are many
``(cid:N)`` tokens, U+FFFD, control or private-use characters (fonts without a Unicode map), or
when PDFium finds characters pdfminer lost (pdfminer silently drops the codes its built-in CMaps
lack, e.g. U+00B7 ``·`` under ``UniGB-UCS2-H``, and with them their advance). PDFium's
characters and loose boxes then go through the same line and paragraph rebuilding. That path
is of lower fidelity: boxes come from PDFium's loose glyph boxes, bold from the font weight or
name, and rotated text is judged by PDFium's char angle. Each such page is named in
:attr:`Document.warnings` and logged. Glyphs neither library decodes are dropped, with a warning.

Files are untrusted: before either library sees the bytes, :func:`pipeline.readers.pdf_guard.scan_pdf`
refuses decompression bombs and files with too many objects, and every pdfminer call runs under
:func:`pipeline.readers.pdf_guard.guard`; pdfminer reads each page before PDFium loads it, so a
page pdfminer refuses never reaches PDFium.
"""

from __future__ import annotations

import ctypes
import io
import logging
import math
import re
from collections import Counter
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Iterable, Sequence

from ..errors import (CorruptFileError, EmptyDocumentError, EncryptedError, NoTextLayerError,
                      TooLargeError)
from ..numbering import ends_sentence, match_marker
from ..text import width_fold
from ..types import Document, Paragraph
from . import DEFAULT_MAX_PAGES, pdf_guard

log = logging.getLogger(__name__)

#: share of the page height, at the top and at the bottom, where headers, footers and page
#: numbers are looked for
BAND = 0.12

# A char record: (top, bottom, x0, x1, text, size, fontname, upright); top-down coordinates.
_Char = tuple

_TOP, _BOTTOM, _X0, _X1, _TEXT, _SIZE, _FONT, _UPRIGHT = range(8)

_BOLD = re.compile(r"bold", re.I)
_SYMBOL_FONT = re.compile(r"symbol|wingding|webding|dingbat|marlett", re.I)
_DASHES = "-—–―‒−~～_·•.*"
_PAGE_NUMBER = re.compile(
    "|".join([
        rf"[{re.escape(_DASHES)}]*\d{{1,4}}[{re.escape(_DASHES)}]*",
        r"第\d+页(?:[,，/]?共\d+页)?",
        r"共\d+页[,，/]?第\d+页",
        r"\d+/\d+",
        r"(?:page)?\d+(?:of\d+)?",
        r"[（(]\d+[）)]",
    ]),
    re.I,
)
_DIGITS = re.compile(r"\d+")


def _is_bad(text: str, fontname: str) -> bool:
    """True for a glyph whose text is not real text: (cid:N), U+FFFD, controls, private use."""
    if text.startswith("(cid:"):
        return True
    for ch in text:
        o = ord(ch)
        if o >= 0xFFFD or o < 0x20 or 0x7F <= o < 0xA0:
            return True
        if 0xE000 <= o <= 0xF8FF and not _SYMBOL_FONT.search(fontname):
            return True
    return False


def _is_dropped(text: str) -> bool:
    """Glyphs kept out of the text: undecodable ones and symbol-font bullets."""
    if text.startswith("(cid:"):
        return True
    for ch in text:
        o = ord(ch)
        if o >= 0xFFFD or o < 0x20 or 0x7F <= o < 0xA0 or 0xE000 <= o <= 0xF8FF:
            return True
    return False


def _ascii_word_char(ch: str) -> bool:
    return "!" <= ch <= "~"


@dataclass(slots=True)
class _Line:
    """A line of text on a page, with the geometry the paragraph rules need (points)."""

    page: int
    top: float
    bottom: float
    x0: float
    x1: float
    text: str
    size: float
    bold: bool
    trailing_space: bool
    table_like: bool
    lead_width: float  # width of the first unbreakable token (an ASCII word or one character)
    page_width: float
    page_height: float


@dataclass(slots=True)
class _PageText:
    lines: list[_Line]
    good: int  # decodable glyphs
    bad: int  # undecodable glyphs


def _median(values: Sequence[float]) -> float:
    s = sorted(values)
    return s[len(s) // 2] if s else 0.0


def _build_line(chars: list[_Char], page: int, pw: float, ph: float) -> _Line | None:
    chars.sort(key=itemgetter(_X0))
    sizes = [c[_SIZE] for c in chars if c[_TEXT].strip()]
    if not sizes:
        return None
    size = _median(sizes) or 10.0
    parts: list[str] = []
    bolds: list[bool] = []
    prev: _Char | None = None
    pending_space = False
    table_like = False
    first_x0 = last_x1 = 0.0
    lead_end: float | None = None
    lead_open = True
    for c in chars:
        t = c[_TEXT]
        if not t.strip():
            if prev is not None:
                pending_space = True
            continue
        if _is_dropped(t):
            continue
        if prev is not None:
            tol = 0.3 * size
            # a narrow Latin letter repeated ("ll") sits closer than that: an overprint starts
            # within the first half of the glyph it covers
            near = min(tol, 0.5 * (prev[_X1] - prev[_X0]))
            if t == prev[_TEXT] and abs(c[_X0] - prev[_X0]) < near and abs(c[_TOP] - prev[_TOP]) < tol:
                # the same glyph drawn again a hair to the side: fake bold by overprinting
                bolds[-1] = True
                continue
            gap = c[_X0] - prev[_X1]
            sz = max(c[_SIZE], prev[_SIZE]) or size
            latin = _ascii_word_char(prev[_TEXT][-1]) and _ascii_word_char(t[0])
            if pending_space or gap > (0.15 if latin else 0.8) * sz:
                parts.append(" ")
                lead_open = False
            if gap >= 1.5 * sz:
                table_like = True
        else:
            first_x0 = c[_X0]
        if lead_open:
            if _ascii_word_char(t[0]):
                lead_end = c[_X1]
            else:
                if lead_end is None:
                    lead_end = c[_X1]
                lead_open = False
        parts.append(t)
        bolds.append(bool(_BOLD.search(c[_FONT])))
        last_x1 = c[_X1]
        prev = c
        pending_space = False
    if prev is None:
        return None
    text = "".join(parts)
    top = min(c[_TOP] for c in chars)
    bottom = max(c[_BOTTOM] for c in chars)
    return _Line(page=page, top=top, bottom=bottom, x0=first_x0, x1=last_x1, text=text, size=size,
                 bold=all(bolds), trailing_space=pending_space, table_like=table_like,
                 lead_width=(lead_end or last_x1) - first_x0, page_width=pw, page_height=ph)


def lines_from_chars(chars: Iterable[_Char], page: int, page_width: float,
                     page_height: float) -> list[_Line]:
    """Group glyph records into lines, top to bottom, each sorted left to right."""
    items = list(chars)
    upright = [c for c in items if c[_UPRIGHT]]
    # rotated glyphs are watermarks or margin notes, unless they are most of the page
    if len(upright) * 2 >= len(items):
        items = upright
    items.sort(key=itemgetter(_TOP))
    groups: list[list[_Char]] = []
    ref_top = ref_bottom = 0.0
    for c in items:
        top, bottom = c[_TOP], c[_BOTTOM]
        mid = (top + bottom) / 2
        if groups and (ref_top <= mid <= ref_bottom or top <= (ref_top + ref_bottom) / 2 <= bottom):
            groups[-1].append(c)
            if bottom - top > ref_bottom - ref_top:
                ref_top, ref_bottom = top, bottom
        else:
            groups.append([c])
            ref_top, ref_bottom = top, bottom
    out = []
    for g in groups:
        line = _build_line(g, page, page_width, page_height)
        if line is not None:
            out.append(line)
    return out


def _count(chars: Iterable[_Char]) -> tuple[int, int]:
    good = bad = 0
    for c in chars:
        t = c[_TEXT]
        if not t.strip():
            continue
        if _is_bad(t, c[_FONT]):
            bad += 1
        elif not _is_dropped(t):
            good += 1
    return good, bad


def _layout_chars(page: Any) -> tuple[list[_Char], bool]:
    """The glyphs of a pdfplumber page as char records, and whether the page has images.

    Reads pdfminer's layout objects (``page.layout``) with the coordinates pdfplumber gives
    ``page.chars``, without building pdfplumber's dict per glyph: that costs as much again as
    pdfminer's parsing of the page.
    """
    from pdfminer.layout import LTChar, LTContainer, LTImage

    height = float(page.height)
    mb_x0, mb_top = float(page.mediabox[0]), float(page.mediabox[1])
    out: list[_Char] = []
    images = False
    stack = [iter(page.layout)]
    while stack:
        for obj in stack[-1]:
            if isinstance(obj, LTChar):
                font = obj.fontname
                if isinstance(font, bytes):
                    font = font.decode("latin-1")
                out.append((height - obj.y1 + mb_top, height - obj.y0 + mb_top, obj.x0 + mb_x0,
                            obj.x1 + mb_x0, obj.get_text(), obj.size, font, obj.upright))
            elif isinstance(obj, LTContainer):  # a form XObject: its glyphs count too
                stack.append(iter(obj))
                break
            elif isinstance(obj, LTImage):
                images = True
        else:
            stack.pop()
    return out, images


# --- PDFium -----------------------------------------------------------------------------------


def _pdfium_chars(textpage: Any, page: Any, path: str = "<bytes>", number: int = 0) -> list[_Char]:
    """The characters of a PDFium text page as char records (generated spaces left out)."""
    import pypdfium2.raw as raw

    left, _bottom, _right, top = page.get_mediabox()
    n = textpage.count_chars()
    if n > pdf_guard.MAX_PAGE_GLYPHS:
        raise TooLargeError(path, f"page {number} draws {n:,} glyphs, over the limit of "
                                  f"{pdf_guard.MAX_PAGE_GLYPHS:,}")
    out: list[_Char] = []
    rect = raw.FS_RECTF()
    buf = ctypes.create_string_buffer(128)
    flags = ctypes.c_int()
    for i in range(n):
        if raw.FPDFText_IsGenerated(textpage, i) == 1:
            continue
        u = raw.FPDFText_GetUnicode(textpage, i)
        if u in (0, 0x0D, 0x0A):
            continue
        # PDFium reports a hyphen that ends a line as U+FFFE
        ch = "-" if u == 0xFFFE else chr(u) if u < 0x110000 else "\ufffd"
        if raw.FPDFText_HasUnicodeMapError(textpage, i) == 1:
            ch = "\ufffd"
        if not raw.FPDFText_GetLooseCharBox(textpage, i, rect):
            continue
        size = raw.FPDFText_GetFontSize(textpage, i)
        k = raw.FPDFText_GetFontInfo(textpage, i, buf, len(buf), ctypes.byref(flags))
        name = buf.raw[: max(k - 1, 0)].decode("latin-1") if k > 0 else ""
        if raw.FPDFText_GetFontWeight(textpage, i) >= 700 and not _BOLD.search(name):
            name += ",Bold"
        angle = raw.FPDFText_GetCharAngle(textpage, i)
        upright = angle < 0.01 or abs(angle - 2 * math.pi) < 0.01
        out.append((top - rect.top, top - rect.bottom, rect.left - left, rect.right - left, ch,
                    size, name, upright))
    return out


# --- headers, footers, page numbers -----------------------------------------------------------


def _band(line: _Line) -> str | None:
    if line.bottom <= line.page_height * BAND:
        return "top"
    if line.top >= line.page_height * (1 - BAND):
        return "bottom"
    return None


def _masked(text: str) -> str:
    return _DIGITS.sub("#", re.sub(r"\s+", "", width_fold(text)))


def is_page_number(text: str) -> bool:
    """True when ``text`` is a page number as Chinese documents print them.

    >>> [is_page_number(s) for s in ("— 3 —", "-3-", "第 3 页 共 5 页", "3/5", "2022年")]
    [True, True, True, True, False]
    """
    s = re.sub(r"\s+", "", width_fold(text))
    return bool(s) and _PAGE_NUMBER.fullmatch(s) is not None


def strip_running(pages: list[list[_Line]]) -> tuple[list[list[_Line]], int]:
    """Drop running headers/footers and page numbers from the top and bottom bands.

    A band line is running text when its text, digits masked, recurs at about the same height
    on at least half of the pages (and on two pages at least). Returns the pages and how many
    lines were dropped.
    """
    n_pages = len(pages)
    need = max(2, math.ceil(n_pages / 2))
    seen: dict[tuple[str, str], list[tuple[int, float]]] = {}
    band_lines: list[tuple[_Line, str]] = []
    for lines in pages:
        for ln in lines:
            zone = _band(ln)
            if zone is None:
                continue
            band_lines.append((ln, zone))
            seen.setdefault((zone, _masked(ln.text)), []).append((ln.page, ln.top))
    drop: set[int] = set()
    for ln, zone in band_lines:
        if is_page_number(ln.text):
            drop.add(id(ln))
            continue
        if n_pages < 2:
            continue
        tol = max(3.0, 0.5 * ln.size)
        places = seen[(zone, _masked(ln.text))]
        if len({p for p, y in places if abs(y - ln.top) <= tol}) >= need:
            drop.add(id(ln))
    if not drop:
        return pages, 0
    return [[ln for ln in lines if id(ln) not in drop] for lines in pages], len(drop)


# --- paragraphs -------------------------------------------------------------------------------


@dataclass(slots=True)
class _Geometry:
    size: float  # body type size: one character width for CJK text
    left: float  # body left margin
    right: float  # body's typical right edge
    pitch: float  # typical distance between baselines of consecutive body lines


def _clusters(values: list[float], tol: float) -> list[tuple[float, float, int]]:
    """Runs of sorted values no wider than ``tol``: (first, last, count)."""
    out: list[tuple[float, float, int]] = []
    for v in sorted(values):
        if out and v - out[-1][0] <= tol:
            a, _, k = out[-1]
            out[-1] = (a, v, k + 1)
        else:
            out.append((v, v, 1))
    return out


def _geometry(lines: list[_Line]) -> _Geometry:
    weight: dict[float, int] = {}
    for ln in lines:
        key = round(ln.size * 2) / 2
        weight[key] = weight.get(key, 0) + len(ln.text)
    size = max(weight.items(), key=lambda kv: (kv[1], -kv[0]))[0] if weight else 12.0
    body = [ln for ln in lines if abs(ln.size - size) <= 0.15 * size and not ln.table_like] or lines
    need = max(2, len(body) // 10)
    lefts = _clusters([ln.x0 for ln in body], 0.25 * size)
    left = ([c for c in lefts if c[2] >= 2] or lefts)[0][0]
    page_width = body[0].page_width
    below = [c for c in lefts if abs(left - 2 * size - c[0]) <= 0.5 * size]
    if below:
        # a single continuation line two characters left of the indented lines is the margin
        left = below[0][0]
    elif not any(abs(c[0] - left - 2 * size) <= 0.5 * size for c in lefts):
        # No line starts two characters right of the others: either paragraphs are not
        # indented (block style), or every line is the indented first line of a one-line
        # paragraph. Block paragraphs wrap: their long lines stop mid-sentence; one-line
        # paragraphs end their sentence on every line.
        widest = max(ln.x1 for ln in body)
        if not any(ln.x1 >= widest - 1.5 * size and not ends_sentence(ln.text) for ln in body):
            left -= 2 * size
    rights = _clusters([ln.x1 for ln in body], 0.5 * size)
    common = [c for c in rights if c[2] >= need]
    edge = common[-1] if common else rights[-1]
    # when few lines are full the measured edge falls short; margins are about symmetric
    right = max(edge[1], page_width - left)
    steps = [b.bottom - a.bottom for a, b in zip(body, body[1:])
             if a.page == b.page and b.bottom > a.bottom]
    pitch = _median(steps) or 1.5 * size
    return _Geometry(size=size, left=left, right=right, pitch=pitch)


def _starts_paragraph(prev: _Line, line: _Line, g: _Geometry) -> bool:
    cw = g.size
    if _title_continues(prev, line, g):
        return False
    if abs(line.size - prev.size) > 0.15 * max(line.size, prev.size):
        return True
    if prev.table_like or line.table_like or _floating(prev, g):
        return True
    if line.x0 - g.left > 0.9 * cw:
        return True
    if line.page == prev.page and line.bottom - prev.bottom > 1.6 * g.pitch:
        return True
    room = g.right - prev.x1
    # short of the right edge by more than the next line's first word would have needed
    short = room > max(1.5 * cw, line.lead_width + 0.5 * cw)
    if match_marker(line.text) is not None and (short or ends_sentence(prev.text)):
        return True
    if short and ends_sentence(prev.text):
        return True
    # a line under half the body width that stops without punctuation is a heading or a
    # line of its own; a comma or an enumeration mark means the sentence goes on
    if (short and prev.x1 - g.left < 0.5 * (g.right - g.left)
            and not prev.text.endswith(("，", "、", ",", "-"))):
        return True
    return False


def _floating(line: _Line, g: _Geometry) -> bool:
    """A centred or right-aligned line: well right of the margin and short of the right edge."""
    return line.x0 - g.left > 2.5 * g.size and line.x1 < g.right - 1.5 * g.size


def _centered(line: _Line, g: _Geometry) -> bool:
    return abs((line.x0 + line.x1) / 2 - (g.left + g.right) / 2) < 1.5 * g.size


def _title_continues(prev: _Line, line: _Line, g: _Geometry) -> bool:
    """A title set in a larger size over two centred lines reads as one paragraph."""
    return (line.page == prev.page and prev.size >= 1.1 * g.size
            and abs(line.size - prev.size) <= 0.05 * prev.size
            and _centered(prev, g) and _centered(line, g)
            and not ends_sentence(prev.text) and match_marker(line.text) is None
            and line.bottom - prev.bottom <= max(2.5 * prev.size, 1.2 * g.pitch))


def _join(text: str, trailing_space: bool, nxt: str) -> str:
    if trailing_space:
        return f"{text} {nxt}"
    # a line break between two ASCII words was a space: documents never break inside a word
    if text and nxt and _ascii_word_char(text[-1]) and _ascii_word_char(nxt[0]) and text[-1] != "-":
        return f"{text} {nxt}"
    return text + nxt


def paragraphs_from_lines(lines: list[_Line]) -> list[Paragraph]:
    """Rebuild paragraphs from the body lines of a document, in reading order."""
    if not lines:
        return []
    g = _geometry(lines)
    groups: list[list[_Line]] = []
    for i, ln in enumerate(lines):
        if i == 0 or _starts_paragraph(lines[i - 1], ln, g):
            groups.append([ln])
        else:
            groups[-1].append(ln)
    out: list[Paragraph] = []
    for grp in groups:
        text = grp[0].text
        for a, b in zip(grp, grp[1:]):
            text = _join(text, a.trailing_space, b.text)
        text = re.sub(r" {2,}", " ", text).strip()
        if not text:
            continue
        out.append(Paragraph(index=len(out), text=text, page=grp[0].page,
                             bold=all(ln.bold for ln in grp),
                             indent=round(grp[0].x0 - g.left, 1)))
    return out


# --- the reader -------------------------------------------------------------------------------


_ENCRYPTED = pdf_guard.ENCRYPTED


def _open_pdfium(path: str, data: bytes) -> tuple[Any, str | None]:
    """The PDFium document, or None and why it failed. A password-protected file raises."""
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(data), None
    except pdfium.PdfiumError as e:
        code = getattr(e, "err_code", None)
        if code == 4:  # FPDF_ERR_PASSWORD
            raise EncryptedError(path, _ENCRYPTED) from None
        if code == 6:  # FPDF_ERR_SECURITY
            raise EncryptedError(path, "the PDF uses an unsupported security handler; save an "
                                       "unprotected copy and submit it again") from None
        return None, str(e)


def _open_plumber(path: str, data: bytes) -> tuple[Any, str | None]:
    """The pdfplumber document with its page list built, or None and why it failed."""
    import pdfplumber

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except Exception as e:  # pdfminer raises many kinds on damaged files
        cause = e.args[0] if e.args and isinstance(e.args[0], Exception) else e
        if type(cause).__name__ == "PDFPasswordIncorrect":
            raise EncryptedError(path, _ENCRYPTED) from None
        return None, f"{type(cause).__name__}: {cause}"
    try:
        pdf.pages
    except Exception as e:
        _close(pdf)
        return None, f"{type(e).__name__}: {e}"
    return pdf, None


def _close(doc: Any) -> None:
    """Close a pdfplumber or PDFium document after a failure without masking it (pdfplumber's
    close walks the page list again, which raises once more when building it failed)."""
    try:
        doc.close()
    except Exception as e:  # noqa: BLE001 - the original failure is the one to report
        log.debug("closing the document failed too: %s: %s", type(e).__name__, e)


class PdfReader:
    """Reader of PDF files with a text layer.

    Args:
        max_pages: files with more pages are refused with :class:`TooLargeError`.
    """

    format = "pdf"

    def __init__(self, max_pages: int = DEFAULT_MAX_PAGES):
        self.max_pages = max_pages

    def detect(self, head: bytes) -> bool:
        """True when ``%PDF-`` occurs in the first 1024 bytes."""
        return b"%PDF-" in head[:1024]

    def read(self, path: str, data: bytes) -> Document:
        """Read ``data`` (the bytes of ``path``) into a Document.

        Raises:
            EncryptedError: the PDF needs a password.
            NoTextLayerError: no page has extractable text (a scan).
            CorruptFileError: truncated, garbage, unparseable, or with reference cycles.
            EmptyDocumentError: the PDF has no pages.
            TooLargeError: more pages than ``max_pages``, or over a limit of
                :mod:`pipeline.readers.pdf_guard` (decompression bombs and the like).
        """
        if not self.detect(data[:1024]):
            raise CorruptFileError(path, "not a PDF file (no %PDF- header)")
        if data.rfind(b"%%EOF") < 0:
            # a cut-off download still parses in part; refuse it rather than lose its end
            raise CorruptFileError(path, "the PDF is truncated (no end-of-file marker); "
                                         "download or export it again")
        with pdf_guard.guard(path) as budget:
            pdf_guard.scan_pdf(path, data)
            try:
                return self._read(path, data, budget)
            except RecursionError:
                # pdfplumber resolves objects recursively; the nesting limit stops most of it
                budget.check()
                raise CorruptFileError(path, "objects are nested too deep to read; the PDF is damaged "
                                             "or hostile") from None

    def _read(self, path: str, data: bytes, budget: pdf_guard.Budget) -> Document:
        pdoc, pdfium_error = _open_pdfium(path, data)
        plumber = None
        try:
            if pdoc is not None and len(pdoc) > self.max_pages:
                raise TooLargeError(path, f"the PDF has {len(pdoc)} pages, over the limit of {self.max_pages}")
            plumber, plumber_error = _open_plumber(path, data)
            budget.check()
            if pdoc is None and plumber is None:
                raise CorruptFileError(path, f"the PDF is damaged and cannot be parsed ({pdfium_error})")
            warnings: list[str] = []
            if plumber is None:
                warnings.append(f"pdfminer cannot parse the file ({plumber_error}); "
                                "every page was read with the PDFium fallback")
                log.warning("%s: %s", path, warnings[-1])
                n_pages = len(pdoc)
            else:
                # pdfminer walks the page tree; PDFium may trust a wrong /Count
                n_pages = len(plumber.pages)
                budget.check()
                if pdoc is None or len(pdoc) != n_pages:
                    log.info("%s: PDFium %s; pdfminer's %d pages are read without cross-check", path,
                             pdfium_error or f"counts {len(pdoc)} pages", n_pages)
                    if pdoc is not None:
                        pdoc.close()
                        pdoc = None
            if n_pages == 0:
                raise EmptyDocumentError(path, "the PDF has no pages")
            if n_pages > self.max_pages:
                raise TooLargeError(path, f"the PDF has {n_pages} pages, over the limit of {self.max_pages}")
            pages = [self._read_page(path, i, plumber, pdoc, warnings, budget) for i in range(n_pages)]
        finally:
            if plumber is not None:
                _close(plumber)
            if pdoc is not None:
                _close(pdoc)

        if sum(p.good for p in pages) == 0:
            if sum(p.bad for p in pages):
                raise NoTextLayerError(path, "no usable text layer: its text cannot be decoded (fonts "
                                             "without a Unicode map); export it again from the source "
                                             "or run OCR on it")
            raise NoTextLayerError(path, f"no text layer (scanned?): none of its {n_pages} page(s) has "
                                         "extractable text; run OCR on it or submit the original document")
        body, dropped = strip_running([p.lines for p in pages])
        if dropped:
            log.debug("%s: dropped %d header/footer/page-number lines", path, dropped)
        paragraphs = paragraphs_from_lines([ln for lines in body for ln in lines])
        return Document(path=path, format=self.format, paragraphs=tuple(paragraphs), pages=n_pages,
                        warnings=tuple(warnings))

    def _read_page(self, path: str, i: int, plumber: Any, pdoc: Any, warnings: list[str],
                   budget: pdf_guard.Budget) -> _PageText:
        no = i + 1

        def warn(msg: str) -> None:
            log.warning("%s: %s", path, msg)
            warnings.append(msg)

        chars: list[_Char] | None = None
        reason = ""
        if plumber is not None:
            # pdfminer first, under the limits: a page it refuses never reaches PDFium
            budget.start_page(no)
            page = plumber.pages[i]
            try:
                width, height = float(page.width), float(page.height)
                chars, has_images = _layout_chars(page)
            except Exception as e:  # a broken content stream or font on this page only
                reason = f"pdfminer failed on it: {type(e).__name__}: {e}"
            finally:
                page.close()
            budget.check()
        ppage = textpage = None
        if pdoc is not None:
            try:
                ppage = pdoc[i]
                textpage = ppage.get_textpage()
            except Exception:  # PDFium lost this page; pdfminer alone reads it
                ppage = textpage = None
        try:
            if chars is not None:
                good, bad = _count(chars)
                if bad >= max(3, 0.05 * (good + bad)):
                    reason = f"{bad} of {good + bad} glyphs undecodable by pdfminer"
                elif textpage is not None:
                    found = Counter(ch for ch in textpage.get_text_range()
                                    if not ch.isspace() and not _is_dropped(ch))
                    missing = found - Counter(ch for c in chars for ch in c[_TEXT]
                                              if not ch.isspace() and not _is_dropped(ch))
                    if missing:
                        # pdfminer drops the codes its CMaps lack (e.g. U+00B7 in UniGB-UCS2-H)
                        # together with their advance, which shifts the glyphs after them
                        lost = "".join(sorted(missing))[:10]
                        reason = (f"pdfminer lost {sum(missing.values())} of "
                                  f"{sum(found.values())} characters: {lost!r}")
                if not reason or textpage is None:
                    if reason:
                        warn(f"page {no}: {reason}")
                    elif good == 0 and has_images:
                        warn(f"page {no}: no text layer (a scanned page?); its content is not read")
                    return _PageText(lines_from_chars(chars, no, width, height), good, bad)
            if textpage is None:
                warn(f"page {no}: cannot be read ({reason})")
                return _PageText([], 0, 0)
            # PDFium's reading of the page, used when it decodes more than pdfminer did
            left, bottom, right, top = ppage.get_mediabox()
            pchars = _pdfium_chars(textpage, ppage, path, no)
            pgood, pbad = _count(pchars)
            if chars is not None and pgood - pbad <= good - bad:
                if bad:
                    warn(f"page {no}: {bad} undecodable glyphs dropped (fonts without a Unicode map; "
                         "PDFium cannot decode them either)")
                else:
                    warn(f"page {no}: {reason}; PDFium's reading is no better, pdfminer's kept")
                return _PageText(lines_from_chars(chars, no, width, height), good, bad)
            if plumber is not None:
                warn(f"page {no}: read with the PDFium fallback ({reason})")
            if pbad:
                warn(f"page {no}: {pbad} undecodable glyphs dropped")
            return _PageText(lines_from_chars(pchars, no, right - left, top - bottom), pgood, pbad)
        finally:
            if textpage is not None:
                textpage.close()
                ppage.close()


__all__ = ["PdfReader", "DEFAULT_MAX_PAGES", "is_page_number", "lines_from_chars",
           "paragraphs_from_lines", "strip_running"]
