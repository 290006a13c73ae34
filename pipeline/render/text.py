"""Render paragraphs into a TXT file: any encoding, line ending, BOM, hard wrapping."""

from __future__ import annotations

import codecs
import os
import unicodedata
from pathlib import Path
from typing import Sequence


def _width(c: str) -> int:
    return 2 if unicodedata.east_asian_width(c) in "WF" else 1


def wrap(text: str, width: int) -> list[str]:
    """Cut ``text`` into lines of at most ``width`` columns (CJK characters count two)."""
    lines, cur, w = [], [], 0
    for c in text:
        cw = _width(c)
        if cur and w + cw > width:
            lines.append("".join(cur))
            cur, w = [], 0
        cur.append(c)
        w += cw
    if cur:
        lines.append("".join(cur))
    return lines


def make_txt(paragraphs: Sequence[str], path: str | os.PathLike[str], *, encoding: str = "utf-8",
             bom: bool = False, newline: str = "\n", wrap_width: int | None = None,
             indent: str = "", blank_lines: bool = False) -> Path:
    """Write ``paragraphs`` as a text file.

    Args:
        encoding: any Python codec name (``"gbk"``, ``"gb18030"``, ``"utf-16-le"`` ...).
        bom: write the byte-order mark of ``encoding`` (UTF-8 or UTF-16).
        newline: line ending, e.g. ``"\\r\\n"``.
        wrap_width: hard-wrap each paragraph at this many columns (CJK characters count two).
        indent: prefix of each paragraph's first line (e.g. two ideographic spaces).
        blank_lines: separate paragraphs with an empty line.
    """
    lines: list[str] = []
    for p in paragraphs:
        text = indent + p
        lines.extend(wrap(text, wrap_width) if wrap_width else [text])
        if blank_lines:
            lines.append("")
    data = newline.join(lines) + newline
    raw = data.encode(encoding)
    if bom:
        enc = codecs.lookup(encoding).name
        if enc == "utf-8":
            raw = codecs.BOM_UTF8 + raw
        elif enc in ("utf-16-le", "utf-16"):
            raw = (codecs.BOM_UTF16_LE + raw) if enc == "utf-16-le" else raw
        elif enc == "utf-16-be":
            raw = codecs.BOM_UTF16_BE + raw
    out = Path(path)
    out.write_bytes(raw)
    return out
