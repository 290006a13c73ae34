"""Text normalisation for matching. Originals are kept for display; this is for comparing.

``normalize`` maps full-width ASCII to half-width, ideographic/no-break spaces to spaces, drops
zero-width characters, collapses runs of whitespace, and converts traditional characters to
simplified ones (OpenCC ``t2s``).
"""

from __future__ import annotations

import functools
import re
import unicodedata

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACES = dict.fromkeys(map(ord, "\u3000\u00a0\u2002\u2003\u2009\u202f\u205f\t\r\n\f\v"), " ")
_FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_TABLE = {**_ZERO_WIDTH, **_SPACES, **_FULLWIDTH}
_WS = re.compile(r" {2,}")
_CJK_SPACE = re.compile(r"(?<=[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]) (?=[\u3400-\u9fff\u3000-\u303f\uff00-\uffef])")


@functools.lru_cache(maxsize=1)
def _converter():
    try:
        import opencc
    except ImportError:  # pragma: no cover - a declared dependency
        raise ImportError("Traditional-to-simplified conversion needs OpenCC: pip install opencc") from None
    return opencc.OpenCC("t2s")


_SURROGATE = re.compile("[\ud800-\udfff]")


def to_simplified(text: str) -> str:
    """Traditional Chinese characters converted to simplified ones (other text unchanged).

    Lone surrogates (which a broken file can yield) cannot pass through OpenCC; they become
    U+FFFD here, in the matching form only."""
    try:
        return _converter().convert(text)
    except UnicodeEncodeError:
        return _converter().convert(_SURROGATE.sub("\ufffd", text))


def width_fold(text: str) -> str:
    """Full-width ASCII to half-width, odd spaces to plain spaces, zero-width characters dropped."""
    return text.translate(_TABLE)


def normalize(text: str, *, drop_cjk_spaces: bool = True) -> str:
    """The matching form of ``text``.

    >>> normalize("全年開展主題黨日１２次　（每月一次）")
    '全年开展主题党日12次 (每月一次)'
    """
    s = width_fold(text)
    s = _WS.sub(" ", s).strip()
    if drop_cjk_spaces:
        s = _CJK_SPACE.sub("", s)
    return to_simplified(s)


def clean_display(text: str) -> str:
    """Text for display: NFC, zero-width characters dropped, outer whitespace trimmed."""
    return unicodedata.normalize("NFC", text.translate(_ZERO_WIDTH)).strip(" \t\r\n\u3000\u00a0")
