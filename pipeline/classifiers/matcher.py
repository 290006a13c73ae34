"""A plan-agnostic matcher: BM25 between a paragraph and each requirement's own text, with the
requirement's terms expanded by the domain lexicon (the words writers use for the same work).

It needs no training on the plan, so it serves any plan without a trained model, and its
scores feed the learned models as features.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from pathlib import Path

import numpy as np

from ..text import normalize
from ..types import Plan
from .tokens import LEXICON_DIR, words


def load_expansions(lexicon_dir: str | os.PathLike[str] | None = None) -> dict[str, list[str]]:
    """``expansions.tsv``: a plan term → the words writers use for that work."""
    path = Path(lexicon_dir or LEXICON_DIR) / "expansions.tsv"
    out: dict[str, list[str]] = {}
    if not path.exists():
        return out
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        term, _, related = line.partition("\t")
        out[normalize(term.strip())] = related.split()
    return out


class Matcher:
    """BM25 over the plan's requirements, queried with a paragraph's words.

    Args:
        plan: the plan whose requirements are matched.
        k1, b: BM25 parameters.
        title_weight: how many times a requirement's title words count.
        expansion_weight: weight of lexicon-expanded words relative to the plan's own words.
    """

    def __init__(self, plan: Plan, *, k1: float = 1.2, b: float = 0.5, title_weight: float = 3.0,
                 expansion_weight: float = 0.6, lexicon_dir=None):
        self.plan = plan
        self.k1, self.b = k1, b
        self.labels = plan.requirement_ids
        expansions = load_expansions(lexicon_dir)
        self.docs: list[Counter] = []
        for r in plan.requirements:
            tf: Counter = Counter()
            for w in words(r.title):
                tf[w] += title_weight
            for w in words(r.text):
                tf[w] += 1.0
            full = normalize(r.title + r.text)
            for term, related in expansions.items():
                if term in full:
                    for w in related:
                        tf[normalize(w)] += expansion_weight * (2.0 if term in normalize(r.title) else 1.0)
            self.docs.append(tf)
        n = len(self.docs)
        df: Counter = Counter()
        for d in self.docs:
            df.update(d.keys())
        self.idf = {w: math.log(1 + (n - c + 0.5) / (c + 0.5)) for w, c in df.items()}
        self.lengths = np.array([sum(d.values()) for d in self.docs], dtype=np.float64)
        self.avg_len = float(self.lengths.mean()) if n else 1.0
        # per word, its BM25 weight in every requirement at once (query-independent part)
        norms = self.k1 * (1 - self.b + self.b * self.lengths / self.avg_len)
        self.weights: dict[str, np.ndarray] = {}
        for w in df:
            f = np.array([d.get(w, 0.0) for d in self.docs])
            self.weights[w] = (self.idf[w] * f * (self.k1 + 1) / (f + norms)).astype(np.float32)

    def _contributions(self, tokens: list[str]) -> list[dict[str, float]]:
        q = Counter(tokens)
        out = []
        for d, length in zip(self.docs, self.lengths):
            norm = self.k1 * (1 - self.b + self.b * length / self.avg_len)
            contrib = {}
            for w, qn in q.items():
                f = d.get(w)
                if f:
                    contrib[w] = self.idf[w] * f * (self.k1 + 1) / (f + norm) * (1 + math.log(qn))
            out.append(contrib)
        return out

    def scores(self, texts: list[str], tokens: list[list[str]] | None = None) -> np.ndarray:
        """Raw BM25 scores, shape (len(texts), n_requirements)."""
        toks = tokens if tokens is not None else [words(t) for t in texts]
        out = np.zeros((len(toks), len(self.docs)), dtype=np.float32)
        get = self.weights.get
        for i, t in enumerate(toks):
            for w, qn in Counter(t).items():
                v = get(w)
                if v is not None:
                    out[i] += v * (1 + math.log(qn))
        return out

    def features(self, texts: list[str], tokens: list[list[str]] | None = None) -> np.ndarray:
        """Plan-independent features per (paragraph, requirement): raw score scaled, and the
        score relative to the paragraph's best requirement. Shape (n, n_req, 2)."""
        s = self.scores(texts, tokens)
        best = s.max(axis=1, keepdims=True)
        rel = np.divide(s, best, out=np.zeros_like(s), where=best > 0)
        return np.stack([np.log1p(s), rel], axis=-1)

    def explain(self, text: str, label: str, k: int = 5) -> tuple[str, ...]:
        """The paragraph's words that matched ``label`` most."""
        j = self.labels.index(label)
        c = self._contributions(words(text))[j]
        return tuple(w for w, _ in sorted(c.items(), key=lambda kv: -kv[1])[:k])
