"""Paragraph classification: the kind of each paragraph, and for evidence paragraphs the
requirements its work serves.

:func:`load_classifier` returns a :class:`PlanClassifier` for a plan: the shipped trained models
when they were trained for this very plan (same catalog hash), else the plan-agnostic matcher,
with a log line saying so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..types import KINDS, Document, ParagraphPrediction, Plan, Prediction, RequirementScore, Thresholds
from .matcher import Matcher
from .structure import PlanOverlap
from .tokens import analyze, fold, folded_words, gram_keys, init_tokenizer, words, words_of

log = logging.getLogger(__name__)

MODELS_DIR = Path(__file__).resolve().parent.parent.parent / "models"
#: Requirement scores below this are not reported at all.
REPORT_FLOOR = 0.15


@dataclass
class MatcherCalibration:
    """Logistic map from matcher features (log score, relative score) to a probability.

    Fitted across all requirements of the training plan, so it carries over to other plans."""

    a: float = 2.0
    b: float = 3.0
    c: float = -4.5

    def __call__(self, M: np.ndarray) -> np.ndarray:
        z = self.a * M[..., 0] + self.b * M[..., 1] + self.c
        return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


class PlanClassifier:
    """Kind model + requirement scorer for one plan.

    Args:
        plan: the plan whose requirement ids are predicted.
        kind_model: a :class:`~pipeline.classifiers.kind_model.KindModel`.
        requirement_models: trained models for this plan by name (``{"linear": ..., "spacy": ...}``);
            empty or None for matcher-only scoring.
        matcher_calibration: probability map for the matcher.
        thresholds: per requirement id.
        weights: ensemble weights by model name, ``"matcher"`` included (normalised).
        name: the model name recorded in predictions.
    """

    def __init__(self, plan: Plan, kind_model, requirement_models: dict | None = None,
                 matcher_calibration: MatcherCalibration | None = None,
                 thresholds: dict[str, Thresholds] | None = None,
                 weights: dict[str, float] | None = None, name: str = "matcher"):
        init_tokenizer()
        self.plan = plan
        self.kind_model = kind_model
        self.models = dict(requirement_models or {})
        self.matcher = Matcher(plan)
        self.matcher_calibration = matcher_calibration or MatcherCalibration()
        default = Thresholds(low=0.3, high=0.5)
        self.thresholds = {r: (thresholds or {}).get(r, default) for r in plan.requirement_ids}
        self.weights = {k: v for k, v in (weights or {n: 1.0 for n in self.models} or {"matcher": 1.0}).items()
                        if v > 0 and (k == "matcher" or k in self.models)}
        if not self.weights:
            raise ValueError("no requirement scorer has a positive weight")
        self.name = name
        self.overlap = PlanOverlap.of(plan)

    def requirement_proba(self, texts: list[str], analyzed: list[list[str]] | None = None,
                          cache: dict | None = None, tokens: list[list[str]] | None = None,
                          grams: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
        """Requirement probabilities for evidence paragraphs, shape (n, n_requirements).

        Features at hand: ``analyzed`` (:func:`analyze` per text), or ``tokens`` (words) with
        ``grams`` (:func:`gram_keys` of the folded texts). ``cache``, when given, receives the
        linear model's TF-IDF rows (``"X"``) for explaining."""
        if tokens is None or (grams is None and analyzed is None):
            if analyzed is None:
                analyzed = [analyze(t) for t in texts]
            tokens = [words_of(a) for a in analyzed]
        M = self.matcher.features(texts, tokens)
        P = self.weights.get("matcher", 0.0) * self.matcher_calibration(M)
        for name, model in self.models.items():
            if self.weights.get(name, 0.0) > 0:
                if name == "linear":
                    X = (model.vectorizer_.transform_keyed(len(texts), tokens, grams) if grams is not None
                         else model.vectorizer_.transform(texts, analyzed))
                    if cache is not None:
                        cache["X"] = X
                    P = P + self.weights[name] * model.predict_proba(texts, M, analyzed, X)
                else:
                    P = P + self.weights[name] * model.predict_proba(texts, M, analyzed, words=tokens)
        total = sum(self.weights.values()) or 1.0
        return (P / total).astype(np.float32)

    def kind_proba(self, document: Document, chars=None, folded=None, grams=None) -> np.ndarray:
        """Kind probabilities; ``chars`` (:func:`analyze_chars`) or ``grams`` (:func:`gram_keys`
        of the folded texts) and ``folded`` (:func:`fold`) per paragraph, if at hand."""
        return self.kind_model.predict_proba(document, self.overlap, chars, folded, grams)

    def _terms(self, text: str, rid: str, row) -> tuple[str, ...]:
        linear = self.models.get("linear")
        if linear is not None and row is not None:
            terms = linear.explain(text, rid, row=row)
            if terms:
                return terms
        terms = self.matcher.explain(text, rid)
        spacy_model = self.models.get("spacy")
        if not terms and spacy_model is not None:
            # the score came from the spaCy model alone: ask it which words carried the label
            terms = spacy_model.explain(words(text), rid)
        return terms

    def classify(self, document: Document) -> Prediction:
        """Classify every paragraph of ``document``."""
        texts = [p.text for p in document.paragraphs]
        folded = [fold(t) for t in texts]
        grams = gram_keys(folded)
        K = self.kind_proba(document, folded=folded, grams=grams)
        kinds = _gate_headings(document, K)
        ev = [i for i, k in enumerate(kinds) if KINDS[k] == "evidence"]
        # words are segmented for evidence paragraphs only: jieba is the costliest step
        tokens = {i: folded_words(folded[i]) for i in ev}
        cache: dict = {}
        R = (self.requirement_proba([texts[i] for i in ev], None, cache, [tokens[i] for i in ev], _rows_of(grams, len(texts), ev))
             if ev else None)
        ids = self.plan.requirement_ids
        out = []
        row_of = {i: n for n, i in enumerate(ev)}
        X = cache.get("X")
        for i, p in enumerate(document.paragraphs):
            kind = KINDS[kinds[i]]
            reqs: tuple[RequirementScore, ...] = ()
            if kind == "evidence":
                # rounded once, so that what is compared with the thresholds here is what reports
                # and coverage compare later
                scores = np.round(R[row_of[i]].astype(np.float64), 4)
                order = np.argsort(-scores, kind="stable")
                reqs = tuple(
                    RequirementScore(ids[j], float(scores[j]),
                                     self._terms(p.text, ids[j], _csr_row(X, row_of[i]) if X is not None else None)
                                     if scores[j] >= self.thresholds[ids[j]].low else ())
                    for j in order if scores[j] >= min(REPORT_FLOOR, self.thresholds[ids[j]].low)
                )
            out.append(ParagraphPrediction(index=p.index, kind=kind, kind_score=round(float(K[i, kinds[i]]), 4),
                                           requirements=reqs))
        return Prediction(document=document, paragraphs=tuple(out), plan_sha256=self.plan.sha256,
                          model=self.name, thresholds=dict(self.thresholds))


def _rows_of(grams: tuple[np.ndarray, np.ndarray], n: int, keep: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """The packed n-grams (:func:`gram_keys`) of the texts ``keep`` among ``n``, renumbered 0, 1, …"""
    keys, rows = grams
    new = np.full(n, -1, dtype=np.int64)
    new[keep] = np.arange(len(keep))
    r = new[rows]
    sel = r >= 0
    return keys[sel], r[sel]


def _csr_row(X, i: int):
    """Row ``i`` of a CSR matrix as (column indices, values), without building a new matrix."""
    a, b = X.indptr[i], X.indptr[i + 1]
    return X.indices[a:b], X.data[a:b]


def _gate_headings(document: Document, K: np.ndarray) -> np.ndarray:
    """Most probable kind, except that a paragraph no heading looks like (long, or ending a
    sentence, and not styled as a heading) is never called a heading."""
    from .structure import could_be_heading

    kinds = K.argmax(axis=1) if len(K) else np.zeros(0, int)
    h = KINDS.index("heading")
    for i, p in enumerate(document.paragraphs):
        if kinds[i] == h and not could_be_heading(p):
            kinds[i] = int(np.argsort(-K[i])[1])
    return kinds


def load_classifier(plan: Plan, models_dir: str | Path | None = None, *, backend: str | None = None) -> PlanClassifier:
    """The classifier for ``plan`` from the model folder (verified against its manifest).

    The trained requirement model is used only when it was trained for this plan (same catalog
    hash); otherwise plancov falls back to the plan-agnostic matcher and logs that it does.
    ``backend``: ``"matcher"``, or another candidate compared on dev (``"linear"``, ``"spacy"``,
    ``"linear+spacy"``, … — ``candidates`` in ``metadata.json``) instead of the default.
    Raises :class:`~pipeline.classifiers.artifacts.ModelError` for a tampered or missing folder,
    ValueError for an unknown backend.
    """
    from .artifacts import read_json, verify_manifest
    from .kind_model import KindModel

    folder = Path(models_dir or MODELS_DIR)
    verify_manifest(folder)
    init_tokenizer()  # before spaCy, which would otherwise initialise jieba with its own logging
    meta = read_json(folder / "metadata.json")
    kind_model = KindModel.load(folder / "kind")
    cal = MatcherCalibration(**meta.get("matcher_calibration", {}))
    if meta.get("plan_sha256") != plan.sha256 or backend == "matcher":
        if backend != "matcher":
            log.warning("the trained requirement model is for plan %s, not this plan (%s); "
                        "falling back to the plan-agnostic matcher", meta.get("plan_sha256", "?")[:12], plan.sha256[:12])
        th = {r: Thresholds(**meta.get("matcher_thresholds", {"low": 0.3, "high": 0.5})) for r in plan.requirement_ids}
        return PlanClassifier(plan, kind_model, None, cal, th, {"matcher": 1.0}, name="matcher")
    weights, thresholds, name = meta["weights"], meta["thresholds"], meta["default"]
    if backend is not None and backend != meta["default"]:
        candidates = meta.get("candidates", {})
        if backend not in candidates:
            raise ValueError(f"unknown backend {backend!r}; choose from: matcher, "
                             + ", ".join(sorted(set(candidates) | {meta['default']})))
        weights, thresholds, name = candidates[backend]["weights"], candidates[backend]["thresholds"], backend
    models = {}
    if weights.get("linear", 0) > 0:
        from .linear import LinearRequirementModel

        models["linear"] = LinearRequirementModel.load(folder / "linear")
    if weights.get("spacy", 0) > 0:
        from .spacy_textcat import SpacyRequirementModel

        models["spacy"] = SpacyRequirementModel.load(folder / "spacy", tuple(meta["labels"]))
    th = {r: Thresholds(**t) for r, t in thresholds.items()}
    return PlanClassifier(plan, kind_model, models, cal, th, weights,
                          name=f"{name} {meta['version']}")
