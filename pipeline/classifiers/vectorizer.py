"""A small TF-IDF vectoriser whose state is plain JSON and NumPy arrays (no pickle).

Sublinear tf, smoothed idf, l2-normalised rows — the same maths as scikit-learn's
``TfidfVectorizer(sublinear_tf=True)`` — with a fixed analyser (:func:`tokens.analyze`).
"""

from __future__ import annotations

import math
from collections import Counter
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
        vocab = self.vocabulary_
        indptr, indices, data = [0], [], []
        feats = analyzed if analyzed is not None else (self.analyzer(t) for t in texts)
        get = vocab.get
        for fs in feats:
            ids = [i for i in map(get, fs) if i is not None]
            if ids:
                idx, tf = np.unique(np.array(ids, dtype=np.int32), return_counts=True)
                val = (1 + np.log(tf.astype(np.float32))) * self.idf_[idx]
                val /= np.sqrt((val * val).sum())
                indices.append(idx)
                data.append(val)
                indptr.append(indptr[-1] + len(idx))
            else:
                indptr.append(indptr[-1])
        ind = np.concatenate(indices) if indices else np.zeros(0, np.int32)
        dat = np.concatenate(data) if data else np.zeros(0, np.float32)
        return sp.csr_matrix((dat, ind, np.array(indptr)), shape=(len(indptr) - 1, len(vocab)))

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
