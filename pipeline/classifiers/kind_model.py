"""The paragraph-kind model: multinomial logistic regression over the paragraph's text features
and its structure features (section context, numbering, position, plan overlap)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.sparse as sp

from ..types import KINDS, Document
from .artifacts import load_arrays, read_json, save_arrays, write_json
from .structure import DENSE_FEATURES, PlanOverlap, dense_features
from .tokens import analyze_chars
from .vectorizer import TextVectorizer

DENSE_WEIGHT = 3.0  # structure features matter as much as many text features together


class KindModel:
    """Predicts one of :data:`KINDS` per paragraph.

    Args:
        C: inverse regularisation of the logistic regression.
        random_state: seed for the solver.
    """

    def __init__(self, C: float = 4.0, random_state: int = 0):
        self.C = C
        self.random_state = random_state

    def _matrix(self, docs: list[Document], overlap: PlanOverlap, analyzed=None, folded=None) -> sp.csr_matrix:
        texts = [p.text for d in docs for p in d.paragraphs]
        X_text = self.vectorizer_.transform(texts, analyzed)
        return sp.hstack([X_text, sp.csr_matrix(self._dense(docs, overlap, folded) * DENSE_WEIGHT)], format="csr")

    @staticmethod
    def _dense(docs: list[Document], overlap: PlanOverlap, folded=None) -> np.ndarray:
        if folded is not None and len(docs) == 1:
            return dense_features(docs[0], overlap, folded)
        return np.vstack([dense_features(d, overlap) for d in docs]) if docs else np.zeros((0, len(DENSE_FEATURES)))

    def fit(self, docs: list[Document], kinds: list[str], overlap: PlanOverlap) -> "KindModel":
        from sklearn.linear_model import LogisticRegression

        texts = [p.text for d in docs for p in d.paragraphs]
        self.vectorizer_ = TextVectorizer(analyze_chars, min_df=2, max_features=30000).fit(texts)
        X = self._matrix(docs, overlap)
        y = np.array([KINDS.index(k) for k in kinds])
        clf = LogisticRegression(C=self.C, max_iter=3000, class_weight="balanced", random_state=self.random_state)
        clf.fit(X, y)
        coef = np.zeros((len(KINDS), X.shape[1]), dtype=np.float32)
        icpt = np.zeros(len(KINDS), dtype=np.float32)
        for row, cls in enumerate(clf.classes_):
            coef[cls] = clf.coef_[row] if len(clf.classes_) > 2 else (clf.coef_[0] if row else -clf.coef_[0])
            icpt[cls] = clf.intercept_[row] if len(clf.classes_) > 2 else 0.0
        missing = set(range(len(KINDS))) - set(clf.classes_)
        for cls in missing:
            icpt[cls] = -1e3
        self.coef_, self.intercept_ = coef, icpt
        return self

    def predict_proba(self, doc: Document, overlap: PlanOverlap, analyzed=None, folded=None,
                      grams=None) -> np.ndarray:
        """Probabilities, shape (len(doc), len(KINDS)). Features at hand, per paragraph:
        ``analyzed`` (:func:`analyze_chars`) or ``grams`` (:func:`gram_keys` of the folded texts:
        the same features, packed), and ``folded`` (:func:`fold`)."""
        if not doc.paragraphs:
            return np.zeros((0, len(KINDS)), dtype=np.float32)
        if grams is not None:
            X_text = self.vectorizer_.transform_keyed(len(doc.paragraphs), grams=grams)
        else:
            X_text = self.vectorizer_.transform([p.text for p in doc.paragraphs], analyzed)
        text_w, dense_w = self._split_coef(X_text.shape[1])
        z = X_text @ text_w
        z += (self._dense([doc], overlap, folded) * DENSE_WEIGHT) @ dense_w
        z += self.intercept_
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def _split_coef(self, n_text: int) -> tuple[np.ndarray, np.ndarray]:
        """Contiguous transposed weights of the text and the structure features (cached)."""
        cached = getattr(self, "_coef_split", None)
        if cached is None or cached[0] is not self.coef_:
            parts = (np.ascontiguousarray(self.coef_[:, :n_text].T), np.ascontiguousarray(self.coef_[:, n_text:].T))
            cached = self._coef_split = (self.coef_, parts)
        return cached[1]

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        params, arrays = self.vectorizer_.state()
        write_json(folder / "kind.json", {"kinds": list(KINDS), "dense_features": list(DENSE_FEATURES),
                                          "dense_weight": DENSE_WEIGHT, "C": self.C, "vectorizer": params})
        save_arrays(folder / "kind.npz", {"coef": self.coef_, "intercept": self.intercept_, **arrays})

    @classmethod
    def load(cls, folder: Path) -> "KindModel":
        meta = read_json(folder / "kind.json")
        arrays = load_arrays(folder / "kind.npz")
        if tuple(meta["kinds"]) != KINDS or tuple(meta["dense_features"]) != DENSE_FEATURES:
            from .artifacts import ModelError
            raise ModelError(f"Kind model in {str(folder)!r} was built for other features; retrain it")
        m = cls(C=meta["C"])
        m.vectorizer_ = TextVectorizer.from_state(analyze_chars, meta["vectorizer"], arrays)
        m.coef_, m.intercept_ = arrays["coef"], arrays["intercept"]
        return m
