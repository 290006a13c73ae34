"""Tokenisation for the classifiers: jieba words with the domain user dictionary, plus character
n-grams, on normalised text (half-width, simplified, digits folded).

The user dictionary is loaded by an explicit :func:`init_tokenizer` call, never at import time.
"""

from __future__ import annotations

import functools
import logging
import math
import os
import re
import threading
from pathlib import Path

from ..text import normalize

log = logging.getLogger(__name__)

LEXICON_DIR = Path(__file__).resolve().parent.parent.parent / "corpus" / "lexicon"

_lock = threading.Lock()
_tokenizer = None
_DIGITS = re.compile(r"\d+(?:\.\d+)?")
_KEEP = re.compile(r"[\u4e00-\u9fffA-Za-z0#+]")
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)
# single characters that carry meaning in this domain; other single characters are dropped as words
_SINGLE_KEEP = set("将拟要需党学廉")


def init_tokenizer(lexicon_dir: str | os.PathLike[str] | None = None):
    """Create the jieba tokenizer with the domain user dictionary (idempotent, thread-safe)."""
    global _tokenizer
    with _lock:
        if _tokenizer is not None:
            return _tokenizer
        try:
            import jieba
        except ImportError:  # pragma: no cover - a declared dependency
            raise ImportError("plancov needs jieba: pip install jieba") from None
        jieba.setLogLevel(logging.WARNING)
        # jieba's default tokenizer, so that spaCy's jieba segmenter shares the one dictionary
        # load (about a second) instead of building a second copy
        tk = jieba.dt
        tk.initialize()
        userdict = Path(lexicon_dir or LEXICON_DIR) / "userdict.txt"
        if userdict.exists():
            tk.load_userdict(str(userdict))
        else:
            log.warning("jieba user dictionary not found at %s", userdict)
        _tokenizer = tk
        _cut_block.cache_clear()
        _LOGP.clear()
        return tk


def fold(text: str) -> str:
    """Normalised text with every number folded to ``0`` (counts matter, their values don't)."""
    return _DIGITS.sub("0", normalize(text))


def words(text: str) -> list[str]:
    """jieba words of folded text, punctuation and most single characters dropped."""
    return folded_words(fold(text))


_LOGP: dict[str, float] = {}


def _cut_han(tk, s: str) -> list[str]:
    """jieba's ``__cut_DAG_NO_HMM`` on one run of Han characters, with the same arithmetic and the
    same tie-breaking (the longer word on equal scores), the word graph and the best route built
    in one backward pass and word log-probabilities computed once: the same words in about 60%
    of the time (``tests/test_classify.py`` checks it against jieba on the whole corpus)."""
    import jieba

    freq, lp, log = tk.FREQ, _LOGP, math.log
    logtotal = log(tk.total)
    n = len(s)
    score = [0.0] * (n + 1)
    end = [0] * (n + 1)
    for k in range(n - 1, -1, -1):
        best, bx, found = 0.0, k, False
        i, frag = k, s[k]
        while i < n and frag in freq:
            f = freq[frag]
            if f:
                v = lp.get(frag)
                if v is None:
                    v = lp[frag] = log(f) - logtotal
                sc = v + score[i + 1]
                if not found or sc >= best:
                    best, bx, found = sc, i, True
            i += 1
            frag = s[k:i + 1]
        if not found:
            best = log(freq.get(s[k]) or 1) - logtotal + score[k + 1]
        score[k], end[k] = best, bx
    out: list[str] = []
    x, buf = 0, ""
    while x < n:
        y = end[x] + 1
        w = s[x:y]
        if len(w) == 1 and jieba.re_eng.match(w):
            buf += w
        else:
            if buf:
                out.append(buf)
                buf = ""
            out.append(w)
        x = y
    if buf:
        out.append(buf)
    return out


@functools.lru_cache(maxsize=200_000)
def _cut_block(block: str) -> tuple[str, ...]:
    import jieba

    tk = _tokenizer or init_tokenizer()
    if jieba.re_han_default.match(block):
        return tuple(_cut_han(tk, block))
    return tuple(tk.lcut(block, HMM=False))


def _segment(folded: str) -> list[str]:
    """jieba's ``lcut(folded, HMM=False)``, block by block with a cache: jieba segments each run
    of Han characters (its ``re_han_default`` blocks) on its own, so cutting the blocks one at a
    time gives the same words, and the phrases summaries share are segmented once per process."""
    import jieba

    out: list[str] = []
    for blk in jieba.re_han_default.split(folded):
        if blk:
            out.extend(_cut_block(blk))
    return out


def folded_words(folded: str) -> list[str]:
    """:func:`words` of text already passed through :func:`fold`."""
    out = []
    for w in _segment(folded):
        w = w.strip()
        if not w or not _KEEP.search(w):
            continue
        if len(w) == 1 and w not in _SINGLE_KEEP and w != "0":
            continue
        out.append(w)
    return out


def char_ngrams(text: str, n_min: int = 2, n_max: int = 3, *, folded: bool = False) -> list[str]:
    """Character n-grams within runs of CJK/word characters of folded text."""
    grams = []
    for run in _PUNCT.split(text if folded else fold(text)):
        for n in range(n_min, n_max + 1):
            grams.extend(run[i:i + n] for i in range(len(run) - n + 1))
    return grams


def analyze_chars(text: str, *, folded: bool = False) -> list[str]:
    """``c:`` character 2–3-gram features (no segmentation: cheap, for the kind model)."""
    return ["c:" + g for g in char_ngrams(text, folded=folded)]


def analyze(text: str, *, folded: bool = False) -> list[str]:
    """Features of a paragraph: ``w:`` words and ``c:`` character 2–3-grams."""
    f = text if folded else fold(text)
    return ["w:" + w for w in folded_words(f)] + analyze_chars(f, folded=True)


def words_of(analyzed: list[str]) -> list[str]:
    """The words among :func:`analyze` features."""
    return [f[2:] for f in analyzed if f.startswith("w:")]
