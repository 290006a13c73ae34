"""A small TF-IDF vectoriser whose state is plain JSON and NumPy arrays (no pickle).

Sublinear tf, smoothed idf, l2-normalised rows — the same maths as scikit-learn's
``TfidfVectorizer(sublinear_tf=True)`` — with a fixed analyser (:func:`tokens.analyze`).
"""

from __future__ import annotations

import math
from collections import Counter
from itertools import chain, repeat
from typing import Callable, Iterable

import numpy as np
import scipy.sparse as sp


class TextVectorizer:
    """TF-IDF over an analyser's features.

    Args:
        analyzer: text → list of feature strings (a module-level function).
        min_df: features in fewer documents are dropped.
        max_features: keep the most frequent features only.
    """

    def __init__(self, analyzer: Callable[[str], list[str]], min_df: int = 2, max_features: int | None = 60000):
        self.analyzer = analyzer
        self.min_df = min_df
        self.max_features = max_features

    def fit(self, texts: Iterable[str]) -> "TextVectorizer":
        df: Counter = Counter()
        n = 0
        for t in texts:
            df.update(set(self.analyzer(t)))
            n += 1
        items = [(f, c) for f, c in df.items() if c >= self.min_df]
        items.sort(key=lambda fc: (-fc[1], fc[0]))
        if self.max_features:
            items = items[: self.max_features]
        items.sort()
        self.vocabulary_ = {f: i for i, (f, _) in enumerate(items)}
        self.idf_ = np.array([math.log((1 + n) / (1 + c)) + 1 for _, c in items], dtype=np.float32)
        return self

    def transform(self, texts: Iterable[str], analyzed: list[list[str]] | None = None) -> sp.csr_matrix:
        """TF-IDF rows of ``texts``; ``analyzed``: the analyser's features per text, if at hand."""
        feats = analyzed if analyzed is not None else [self.analyzer(t) for t in texts]
        return self._tfidf(*_lookup(self.vocabulary_, feats), len(feats))

    def transform_keyed(self, n: int, words: list[list[str]] | None = None,
                        grams: tuple[np.ndarray, np.ndarray] | None = None) -> sp.csr_matrix:
        """TF-IDF rows of ``n`` texts from their ``w:`` features given as words per text, and their
        ``c:`` features as packed n-gram keys with the text of each
        (:func:`~pipeline.classifiers.tokens.gram_keys`): the same rows as :meth:`transform` of the
        prefixed features, without a string per feature."""
        ids, rows = [], []
        if words is not None:
            if len(words) != n:
                raise ValueError(f"expected {n} word lists, got {len(words)}")
            w_ids, w_rows = _lookup(self._by_prefix().get("w:", {}), words)
            ids.append(w_ids)
            rows.append(w_rows)
        if grams is not None:
            keys, grows = grams
            vkeys, vids = self._gram_index()
            if len(vkeys):
                pos = np.minimum(np.searchsorted(vkeys, keys), len(vkeys) - 1)
                ids.append(np.where(vkeys[pos] == keys, vids[pos], -1))
                rows.append(np.asarray(grows, dtype=np.int64))
        if not ids:
            return self._tfidf(np.zeros(0, np.int64), np.zeros(0, np.int64), n)
        return self._tfidf(np.concatenate(ids), np.concatenate(rows), n)

    def _by_prefix(self) -> dict[str, dict[str, int]]:
        """The vocabulary split by two-character feature prefix (``"w:"``, ``"c:"``), cached."""
        cached = getattr(self, "_split", None)
        if cached is None or cached[0] is not self.vocabulary_:
            split: dict[str, dict[str, int]] = {}
            for f, i in self.vocabulary_.items():
                split.setdefault(f[:2], {})[f[2:]] = i
            cached = self._split = (self.vocabulary_, split)
        return cached[1]

    def _gram_index(self) -> tuple[np.ndarray, np.ndarray]:
        """The ``c:`` features of 1 to 3 characters as sorted packed keys, with their columns."""
        cached = getattr(self, "_grams", None)
        if cached is None or cached[0] is not self.vocabulary_:
            from .tokens import gram_key

            pairs = sorted((gram_key(g), i) for g, i in self._by_prefix().get("c:", {}).items() if 1 <= len(g) <= 3)
            keys = np.array([k for k, _ in pairs], dtype=np.int64)
            cols = np.array([i for _, i in pairs], dtype=np.int64)
            cached = self._grams = (self.vocabulary_, (keys, cols))
        return cached[1]

    def _tfidf(self, ids: np.ndarray, rows: np.ndarray, n: int) -> sp.csr_matrix:
        """CSR matrix of sublinear-tf × idf, l2-normalised per row, from the column id (-1: not
        in the vocabulary) and the row of every feature occurrence, in one vectorised pass."""
        V = len(self.vocabulary_)
        keep = ids >= 0
        key, tf = np.unique(rows[keep] * V + ids[keep], return_counts=True)
        r = key // V
        cols = (key - r * V).astype(np.int32)
        val = (1 + np.log(tf.astype(np.float32))) * self.idf_[cols]
        norm = np.sqrt(np.bincount(r, weights=val * val, minlength=n)).astype(np.float32)
        val /= norm[r]
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(r, minlength=n), out=indptr[1:])
        return sp.csr_matrix((val.astype(np.float32), cols, indptr), shape=(n, V))

    def fit_transform(self, texts: list[str]) -> sp.csr_matrix:
        return self.fit(texts).transform(texts)

    @property
    def feature_names_(self) -> list[str]:
        return list(self.feature_names_list())

    def feature_names_list(self) -> list[str]:
        """Feature names by column (cached)."""
        names = getattr(self, "_names", None)
        if names is None or len(names) != len(self.vocabulary_):
            names = [""] * len(self.vocabulary_)
            for f, i in self.vocabulary_.items():
                names[i] = f
            self._names = names
        return names

    def state(self) -> tuple[dict, dict[str, np.ndarray]]:
        """JSON-able parameters and arrays, for saving without pickle."""
        return ({"min_df": self.min_df, "max_features": self.max_features, "features": self.feature_names_},
                {"idf": self.idf_})

    @classmethod
    def from_state(cls, analyzer, params: dict, arrays: dict) -> "TextVectorizer":
        v = cls(analyzer, params["min_df"], params["max_features"])
        v.vocabulary_ = {f: i for i, f in enumerate(params["features"])}
        v.idf_ = np.asarray(arrays["idf"], dtype=np.float32)
        return v


def _lookup(vocab: dict[str, int], lists: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
    """The column of every feature in ``lists`` (-1 when not in ``vocab``) and the index of the
    list it comes from, as two int64 arrays, in one pass over all features."""
    lens = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
    ids = np.fromiter(map(vocab.get, chain.from_iterable(lists), repeat(-1)), dtype=np.int64, count=int(lens.sum()))
    return ids, np.repeat(np.arange(len(lists)), lens)
