"""The scikit-learn requirement model: one-vs-rest logistic regression over TF-IDF features
(jieba words with the domain dictionary + character 2–3-grams), each label also seeing the
plan-agnostic matcher's score for its requirement, with Platt-calibrated probabilities fitted on
out-of-fold scores (documents grouped)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .artifacts import load_arrays, read_json, save_arrays, write_json
from .tokens import analyze
from .vectorizer import TextVectorizer


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


class LinearRequirementModel:
    """Multi-label requirement scores for evidence paragraphs.

    Args:
        labels: requirement ids, in plan order.
        C: inverse regularisation strength.
        matcher_weight: scale of the matcher features next to the text features.
        random_state: solver seed.
    """

    name = "linear"

    def __init__(self, labels: tuple[str, ...], C: float = 8.0, matcher_weight: float = 1.0, random_state: int = 0):
        self.labels = tuple(labels)
        self.C = C
        self.matcher_weight = matcher_weight
        self.random_state = random_state

    def _fit_label(self, X, y):
        from sklearn.linear_model import LogisticRegression

        clf = LogisticRegression(C=self.C, solver="liblinear", class_weight="balanced",
                                 random_state=self.random_state, max_iter=2000)
        clf.fit(X, y)
        return clf.coef_[0].astype(np.float32), np.float32(clf.intercept_[0])

    def _design(self, X_text, M, j):
        return sp.hstack([X_text, sp.csr_matrix(M[:, j, :] * self.matcher_weight)], format="csr")

    def fit(self, texts: list[str], Y: np.ndarray, M: np.ndarray, groups: np.ndarray, analyzed=None) -> "LinearRequirementModel":
        """Fit on evidence paragraphs.

        Args:
            texts: paragraph texts.
            Y: (n, n_labels) 0/1 gold requirement matrix.
            M: (n, n_labels, 2) matcher features (:meth:`Matcher.features`).
            groups: document id per paragraph (for out-of-fold calibration).
        """
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import GroupKFold

        self.vectorizer_ = TextVectorizer(analyze, min_df=2, max_features=40000).fit(texts)
        X = self.vectorizer_.transform(texts, analyzed)
        n_lab = len(self.labels)
        width = X.shape[1] + M.shape[2]
        self.coef_ = np.zeros((n_lab, width), dtype=np.float32)
        self.intercept_ = np.zeros(n_lab, dtype=np.float32)
        self.platt_ = np.zeros((n_lab, 2), dtype=np.float32)
        oof = np.zeros((len(texts), n_lab), dtype=np.float32)
        folds = list(GroupKFold(n_splits=5).split(X, groups=groups))
        for j in range(n_lab):
            y = Y[:, j]
            D = self._design(X, M, j)
            if y.sum() == 0:
                self.intercept_[j] = -10.0
                self.platt_[j] = (1.0, 0.0)
                continue
            for tr, te in folds:
                if y[tr].sum() == 0 or y[tr].sum() == len(tr):
                    oof[te, j] = -5.0
                    continue
                w, b = self._fit_label(D[tr], y[tr])
                oof[te, j] = D[te] @ w + b
            self.coef_[j], self.intercept_[j] = self._fit_label(D, y)
            cal = LogisticRegression(C=1e4, max_iter=1000).fit(oof[:, j:j + 1], y)
            self.platt_[j] = (cal.coef_[0, 0], cal.intercept_[0])
        return self

    def decision(self, texts: list[str], M: np.ndarray, analyzed=None, X=None) -> np.ndarray:
        if X is None:
            X = self.vectorizer_.transform(texts, analyzed)
        n_text = X.shape[1]
        cached = getattr(self, "_coef_text", None)
        if cached is None or cached[0] is not self.coef_:
            cached = self._coef_text = (self.coef_, np.ascontiguousarray(self.coef_[:, :n_text].T))
        Z = np.asarray(X @ cached[1]) + self.intercept_
        Z += np.einsum("nlk,lk->nl", M * self.matcher_weight, self.coef_[:, n_text:])
        return Z

    def predict_proba(self, texts: list[str], M: np.ndarray, analyzed=None, X=None) -> np.ndarray:
        """Calibrated probabilities, shape (n, n_labels). ``X``: the TF-IDF rows, if computed."""
        if not texts:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        Z = self.decision(texts, M, analyzed, X)
        return _sigmoid(Z * self.platt_[:, 0] + self.platt_[:, 1]).astype(np.float32)

    def explain(self, text: str, label: str, k: int = 5, analyzed=None, row=None) -> tuple[str, ...]:
        """The terms of ``text`` that pushed ``label`` up most (words first, then n-grams).

        ``row``: the paragraph's TF-IDF row, when already computed: a sparse row, or a pair
        ``(indices, data)`` of its non-zero columns and values."""
        j = self.labels.index(label)
        if row is None:
            row = self.vectorizer_.transform([text], [analyzed] if analyzed is not None else None).getrow(0)
        indices, data = row if isinstance(row, tuple) else (row.indices, row.data)
        contrib = data * self.coef_[j, indices]
        names = self.vectorizer_.feature_names_list()
        top = np.argpartition(-contrib, min(24, len(contrib) - 1))[:25] if len(contrib) > 25 else np.arange(len(contrib))
        order = [i for i in top[np.argsort(-contrib[top])] if contrib[i] > 0]
        feats = [names[indices[i]] for i in order]
        # whole words read best; character n-grams only fill in, and nothing with a folded digit
        # (it would not occur in the original text)
        ranked = [f[2:] for f in feats if f.startswith("w:")] + [f[2:] for f in feats if f.startswith("c:")]
        terms: list[str] = []
        for t in ranked:
            if "0" in t or len(t) < 2 or any(t in s or s in t for s in terms):
                continue
            terms.append(t)
            if len(terms) >= k:
                break
        return tuple(terms)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        params, arrays = self.vectorizer_.state()
        write_json(folder / "linear.json", {"labels": list(self.labels), "C": self.C,
                                            "matcher_weight": self.matcher_weight, "vectorizer": params})
        save_arrays(folder / "linear.npz", {"coef": self.coef_.astype(np.float16), "intercept": self.intercept_,
                                            "platt": self.platt_, **arrays})

    @classmethod
    def load(cls, folder: Path) -> "LinearRequirementModel":
        meta = read_json(folder / "linear.json")
        arrays = load_arrays(folder / "linear.npz")
        m = cls(tuple(meta["labels"]), C=meta["C"], matcher_weight=meta["matcher_weight"])
        m.vectorizer_ = TextVectorizer.from_state(analyze, meta["vectorizer"], arrays)
        m.coef_ = arrays["coef"].astype(np.float32)
        m.intercept_, m.platt_ = arrays["intercept"], arrays["platt"]
        return m
