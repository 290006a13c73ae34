"""Tokenisation for the classifiers: jieba words with the domain user dictionary, plus character
n-grams, on normalised text (half-width, simplified, digits folded).

The user dictionary is loaded by an explicit :func:`init_tokenizer` call, never at import time.
"""

from __future__ import annotations

import functools
from operator import add as _add
import logging
import math
import os
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from ..text import normalize

if TYPE_CHECKING:  # numpy is imported where it is used
    import numpy as np

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


#: per fragment of text seen: its word log-probability, or _PREFIX (only the start of words),
#: or _ABSENT (in no word); cleared when it grows past _LOGP_MAX entries
_LOGP: dict[str, float] = {}
_PREFIX, _ABSENT = 1.0, 2.0
_LOGP_MAX = 2_000_000


def _cut_han(tk, s: str) -> list[str]:
    """jieba's ``__cut_DAG_NO_HMM`` on one run of Han characters, with the same arithmetic and the
    same tie-breaking (the longer word on equal scores), the word graph and the best route built
    in one backward pass and word log-probabilities computed once: the same words in about 60%
    of the time (``tests/test_classify.py`` checks it against jieba on the whole corpus)."""
    import jieba

    freq_get, lp, log = tk.FREQ.get, _LOGP, math.log
    if len(lp) > _LOGP_MAX:
        lp.clear()
    lp_get = lp.get
    logtotal = log(tk.total)
    n = len(s)
    score = [0.0] * (n + 1)
    end = [0] * (n + 1)
    for k in range(n - 1, -1, -1):
        best, bx, found = 0.0, k, False
        i, frag = k, s[k]
        while i < n:
            # the fragment's word log-probability (<= 0), _PREFIX or _ABSENT, looked up in jieba's
            # large dictionary once per distinct fragment
            v = lp_get(frag)
            if v is None:
                f = freq_get(frag)
                v = lp[frag] = _ABSENT if f is None else (log(f) - logtotal) if f else _PREFIX
            if v == _ABSENT:
                break
            if v <= 0.0:
                sc = v + score[i + 1]
                if not found or sc >= best:
                    best, bx, found = sc, i, True
            i += 1
            frag = s[k:i + 1]
        if not found:
            best = log(freq_get(s[k]) or 1) - logtotal + score[k + 1]
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
    """Character n-grams within runs of CJK/word characters of folded text (per run, the
    ``n_min``-grams first, then the longer ones)."""
    grams: list[str] = []
    for run in _PUNCT.split(text if folded else fold(text)):
        if len(run) < n_min:
            continue
        # the n-grams of a run are its (n-1)-grams each joined with the character n-1 places on
        gram = list(run)
        if n_min <= 1:
            grams.extend(gram)
        for n in range(2, n_max + 1):
            gram = list(map(_add, gram, run[n - 1:]))
            if n >= n_min:
                grams.extend(gram)
    return grams


#: bits per character in a packed n-gram key (every code point is below 2**21)
_KEY_BITS = 21


def gram_key(gram: str) -> int:
    """The integer that stands for a character 2- or 3-gram in :func:`gram_keys`."""
    k = 0
    for c in gram:
        k = (k << _KEY_BITS) | ord(c)
    return k


def gram_keys(folded: list[str], n_min: int = 2, n_max: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """The :func:`char_ngrams` of many folded texts at once, as packed integer keys
    (:func:`gram_key`) with the index of the text each comes from: the same n-grams (as a
    multiset per text) without building a string per n-gram, for vectorised vocabulary lookup.

    Returns ``(keys, rows)``, two int64 arrays of equal length.
    """
    import numpy as np

    if not 1 <= n_min <= n_max <= 3:
        raise ValueError("gram_keys packs 1- to 3-grams only")
    joined = "\n".join(folded)  # the separator is no word character, so no n-gram spans two texts
    cp = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.int64)
    # a word character is what the regular expression's \w matches, less "_" (see _PUNCT)
    uniq, inv = np.unique(cp, return_inverse=True)
    word = np.fromiter(((c := chr(u)).isalnum() and c != "_" for u in uniq.tolist()), dtype=bool,
                       count=len(uniq))[inv.reshape(-1)]
    row_of = np.repeat(np.arange(len(folded)), [len(t) + 1 for t in folded])[: len(cp)]
    keys, rows = [], []
    key, ok = cp.copy(), word.copy()
    for n in range(1, n_max + 1):
        if n > 1:
            key = (key[:-1] << _KEY_BITS) | cp[n - 1:]
            ok = ok[:-1] & word[n - 1:]
        if n >= n_min:
            keys.append(key[ok])
            rows.append(row_of[: len(ok)][ok])
    return np.concatenate(keys), np.concatenate(rows)


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
