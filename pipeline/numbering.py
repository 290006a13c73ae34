"""Numbering markers of Chinese official documents.

Levels, outermost first: ``一、`` (0), ``（一）`` (1), ``1.``/``1、``/``1．`` (2), ``（1）`` (3),
``①`` (4). Full- and half-width punctuation may be mixed (``（一)``), and spaces may follow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
             "八": 8, "九": 9}
_CN = "一二三四五六七八九十〇零两"
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_LP = r"[（(]"
_RP = r"[）)]"
_SP = r"[ \u3000\u00a0]*"

LEVEL_NAMES = ("一、", "（一）", "1.", "（1）", "①")

_PATTERNS = [
    (0, re.compile(rf"^{_SP}(?P<n>[{_CN}]{{1,3}}){_SP}(?:[、．，,]|\.(?![0-9０-９])){_SP}")),
    (1, re.compile(rf"^{_SP}{_LP}{_SP}(?P<n>[{_CN}]{{1,3}}){_SP}{_RP}{_SP}")),
    (2, re.compile(rf"^{_SP}(?P<n>[0-9０-９]{{1,2}}){_SP}(?:[、．]|\.(?![0-9０-９])){_SP}")),
    (3, re.compile(rf"^{_SP}{_LP}{_SP}(?P<n>[0-9０-９]{{1,2}}){_SP}{_RP}{_SP}")),
    (4, re.compile(rf"^{_SP}(?P<n>[{_CIRCLED}]){_SP}")),
]


def cn_to_int(s: str) -> int:
    """Chinese numeral (up to 99) to int: ``"十二"`` → 12, ``"二十"`` → 20."""
    if s.isdigit():
        return int(s)
    if "十" in s:
        tens, _, ones = s.partition("十")
        return (CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (CN_DIGITS.get(ones, 0) if ones else 0)
    value = 0
    for ch in s:
        value = value * 10 + CN_DIGITS[ch]
    return value


@dataclass(frozen=True, slots=True)
class Marker:
    """A numbering marker found at the start of a line."""

    level: int
    number: int
    marker: str  # as written, e.g. "（一）"
    rest: str  # the text after the marker

    @property
    def family(self) -> str:
        return LEVEL_NAMES[self.level]


def _digits(s: str) -> int:
    return int(s.translate({c: c - 0xFEE0 for c in range(0xFF10, 0xFF1A)}))


def match_marker(line: str) -> Marker | None:
    """The numbering marker at the start of ``line``, or None.

    >>> match_marker("（三）坚持固本强基").number
    3
    >>> match_marker("2022年是……") is None
    True
    """
    for level, pat in _PATTERNS:
        m = pat.match(line)
        if not m:
            continue
        n = m.group("n")
        if level in (0, 1):
            number = cn_to_int(n)
        elif level == 4:
            number = _CIRCLED.index(n) + 1
        else:
            number = _digits(n)
        rest = line[m.end():]
        if not rest.strip():
            # a bare number on its own line is not an item
            return None
        return Marker(level, number, line[: m.end()].strip(" \u3000\u00a0"), rest)
    return None


_SENTENCE_END = re.compile(r"[。！？!?；;：:…」』”’）)]\s*$")
_TITLE_SPLIT = re.compile(r"[。！？!?；;：:]|(?<=[\u4e00-\u9fff])[，,]?\s+(?=\S)|[，,](?=[\u4e00-\u9fff])")


def ends_sentence(text: str) -> bool:
    """True when ``text`` ends with sentence-final punctuation (Chinese or ASCII)."""
    return bool(_SENTENCE_END.search(text))


def split_title(rest: str) -> tuple[str, str]:
    """Split an item's text into its title (first sentence) and the remainder.

    The title ends at the first sentence punctuation (。；：！？), or at a space, or at a comma
    when the title and the sentence are run together the way plans often write them
    (``（二）坚持理论武装 在学深悟透上走在前``). Returns ``(title, body)``.
    """
    s = rest.strip(" \u3000\u00a0")
    m = re.search(r"[。！？!?；;：:]", s)
    end = m.start() if m else len(s)
    head = s[:end]
    # a title written "A B" or "A,B" with no full stop: keep both halves, they are one heading
    title = head.strip(" \u3000\u00a0")
    body = s[end + 1:].strip(" \u3000\u00a0") if m else ""
    return title, body
