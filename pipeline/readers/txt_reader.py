"""Plain-text summaries: strict decoding, then paragraphs from lines.

Decoding tries, in order and strictly (never a silent replacement character): UTF-8 with BOM,
UTF-16 with BOM, UTF-8, GB18030 (a superset of GBK and GB2312), and Big5 when GB18030's reading
is implausible. The encoding used is recorded on the Document.

Lines become paragraphs one to one, except in hard-wrapped files (most lines cut at the same
width), where a full-width line continues into the next unless that one is indented, numbered
or follows a blank line.
"""

from __future__ import annotations

import codecs
import logging
import unicodedata

from ..errors import DecodingError, InputError, TooLargeError
from ..numbering import ends_sentence, match_marker
from ..text import clean_display, to_simplified
from ..types import Document, Paragraph

log = logging.getLogger(__name__)

_INDENT_CHARS = " \u3000\u00a0\t"

#: Largest text file read (bytes). A year's summary is well under 1 MB; the limit keeps a huge
#: file from costing gigabytes once split into lines and paragraphs.
MAX_TEXT_BYTES = 32 * 1024 * 1024
#: Most lines a text file may have (every character :meth:`str.splitlines` breaks at counts).
MAX_LINES = 500_000
_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


class TxtReader:
    """Reader for UTF-8 / UTF-16 / GB18030 / Big5 text files."""

    format = "txt"

    def detect(self, head: bytes) -> bool:
        # Text is the fallback: anything the binary readers did not claim.
        return True

    def read(self, path: str, data: bytes) -> Document:
        """Decode ``data`` and rebuild its paragraphs.

        Raises:
            TooLargeError: over :data:`MAX_TEXT_BYTES` bytes or :data:`MAX_LINES` lines.
            DecodingError, InputError: see :func:`decode`.
        """
        if len(data) > MAX_TEXT_BYTES:
            raise TooLargeError(path, f"a text file of {len(data):,} bytes is over the limit of "
                                      f"{MAX_TEXT_BYTES:,} bytes for plain text; check it is the summary")
        text, encoding = decode(data, path)
        # counted before splitting: the list of lines is what costs memory
        breaks = sum(text.count(c) for c in _LINE_BREAKS)
        if breaks > MAX_LINES:
            raise TooLargeError(path, f"the text has over {MAX_LINES:,} lines, over the limit; "
                                      "check it is the summary")
        paragraphs = tuple(paragraphs_from_lines(text.splitlines()))
        return Document(path=path, format=self.format, paragraphs=paragraphs, encoding=encoding)


def _suspect(c: str) -> bool:
    """Characters a Chinese summary hardly has but a misread Big5 file is full of: GB2312's rows
    of kana, Cyrillic, bopomofo and box drawing are where many of Big5's commonest characters land
    (its Greek row too, but a summary may well quote α or μ)."""
    o = ord(c)
    return 0x3040 <= o <= 0x312F or 0x0400 <= o <= 0x04FF or 0x2500 <= o <= 0x257F


def _plausibility(text: str) -> float:
    """Share of CJK (and suspect) characters that are common simplified ones (in GB2312 after
    t2s)."""
    chars = [c for c in text if "\u3400" <= c <= "\u9fff" or _suspect(c)][:4000]
    if not chars:
        return 1.0
    sample = to_simplified("".join(chars))
    ok = 0
    for c in sample:
        if _suspect(c):
            continue
        try:
            c.encode("gb2312")
            ok += 1
        except UnicodeEncodeError:
            pass
    return ok / len(sample)


def decode(data: bytes, path: str = "<bytes>") -> tuple[str, str]:
    """Decode text bytes strictly; returns ``(text, encoding)``.

    Raises:
        DecodingError: naming the byte offset where the most plausible encoding failed.
        InputError: for binary data (NUL bytes outside UTF-16).
    """
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[3:], "utf-8", path, offset=3), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(data, "utf-16", path), "utf-16"
    if b"\x00" in data:
        nul = data.index(b"\x00")
        raise InputError(path, f"binary data (NUL byte at byte {nul}); "
                               "expected a text, .docx or .pdf file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        utf8_error = e
    else:
        return _gbk_read_as_utf8(data, text) or (text, "utf-8")
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as e:
        gb_error = e
        text = None
    if text is not None:
        score = _plausibility(text)
        if score < 0.9:
            try:
                big5 = data.decode("big5")
            except UnicodeDecodeError:
                big5 = None
            if big5 is not None and _plausibility(big5) > score + 0.05:
                return big5, "big5"
        return text, "gb18030"
    # Report where the encoding that got furthest failed.
    err = max((utf8_error, gb_error), key=lambda x: x.start)
    raise DecodingError(
        path,
        f"undecodable at byte {err.start} (byte 0x{data[err.start]:02x}); "
        "expected UTF-8, UTF-16 with BOM, GBK/GB18030 or Big5 text",
    )


def _is_cjk(c: str) -> bool:
    return "\u3400" <= c <= "\u9fff" or "\u3000" <= c <= "\u303f" or "\uff00" <= c <= "\uffef" or c in "“”‘’…—·"


def _gbk_read_as_utf8(data: bytes, text: str) -> tuple[str, str] | None:
    """The GB18030 reading of bytes that are valid UTF-8 only by accident, else None.

    A GBK character with a lead byte 0xC2-0xDF and a trail byte 0x80-0xBF is also a two-byte
    UTF-8 sequence: short GBK text such as ``一一`` (D2BB D2BB) reads as Cyrillic ``һһ``. Real
    UTF-8 Chinese has characters past U+07FF; real European text stays in the Latin ranges.
    """
    if any(c > "\u07ff" for c in text) or not any("\u0370" <= c <= "\u07ff" for c in text):
        return None
    try:
        gb = data.decode("gb18030")
    except UnicodeDecodeError:
        return None
    wide = [c for c in gb if c > "\x7f"]
    if wide and all(_is_cjk(c) for c in wide) and _plausibility(gb) >= 0.9:
        return gb, "gb18030"
    return None


def _strict(data: bytes, encoding: str, path: str, offset: int = 0) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as e:
        raise DecodingError(
            path, f"undecodable at byte {e.start + offset} as {encoding} (the file starts with a "
                  f"{encoding.upper()} byte-order mark)") from None


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def _wrap_width(lines: list[str]) -> int | None:
    """The width a hard-wrapped file was cut at, or None when lines are paragraphs.

    Hard wrapping leaves several lines at (nearly) the widest width, and most of them stop in
    mid-sentence; in a file of one paragraph a line, the widest lines end with a full stop.
    """
    rows = [(_width(ln.rstrip()), ln.rstrip()) for ln in lines if ln.strip()]
    long = sorted((w for w, _ in rows if w >= 30), reverse=True)
    for top in dict.fromkeys(long):
        full = [ln for w, ln in rows if top - 2 <= w <= top]
        if len(full) >= 3:
            wider = sum(1 for w in long if w > top)
            if wider > max(1, 0.05 * len(rows)):
                return None
            open_ended = sum(not ends_sentence(ln) for ln in full)
            return top if open_ended >= 0.5 * len(full) else None
    return None


def paragraphs_from_lines(lines: list[str]):
    """Yield Paragraphs from text lines, re-joining hard-wrapped lines."""
    width = _wrap_width(lines)
    buf: list[str] = []
    start = 0
    prev_full = False
    index = 0

    def flush():
        nonlocal buf, index
        text = clean_display("".join(buf))
        buf = []
        if text:
            p = Paragraph(index=index, text=text, line=start)
            index += 1
            return p
        return None

    for lineno, raw in enumerate(lines, 1):
        line = raw.rstrip()
        stripped = line.strip(_INDENT_CHARS)
        if not stripped:
            if buf:
                p = flush()
                if p:
                    yield p
            prev_full = False
            continue
        indented = line[:1] in _INDENT_CHARS
        continues = (
            width is not None and buf and prev_full and not indented
            and match_marker(stripped) is None
            # a short unpunctuated line after a finished sentence stands alone (date, signature)
            and not (ends_sentence(buf[-1]) and not ends_sentence(stripped)
                     and _width(stripped) < width - 2)
        )
        if not continues and buf:
            p = flush()
            if p:
                yield p
        if not buf:
            start = lineno
        buf.append(stripped)
        prev_full = width is not None and _width(line) >= width - 2
    if buf:
        p = flush()
        if p:
            yield p
