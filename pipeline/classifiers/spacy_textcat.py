"""The spaCy requirement model: ``spacy.blank("zh")`` with the jieba segmenter and a
``textcat_multilabel`` component, configured by ``models/textcat.cfg`` and saved with spaCy's
own ``to_disk`` (no pickle). jieba's user dictionary is not part of a saved spaCy model, so
:func:`_use_our_jieba` points the segmenter at plancov's jieba tokenizer, which has it loaded.

Segmenting is the costliest step of classification, so plancov segments each paragraph once
(jieba with the domain dictionary, :func:`tokens.words`) and hands spaCy those words as a
``Doc``; ``nlp(text)`` on the saved model segments with jieba itself and gives the same result
when the user dictionary is loaded."""

from __future__ import annotations

import logging
import random
from pathlib import Path

import numpy as np

from .tokens import fold

log = logging.getLogger(__name__)

CONFIG = Path(__file__).resolve().parent.parent.parent / "models" / "textcat.cfg"


def _use_our_jieba(nlp) -> None:
    """Point the pipeline's jieba segmenter at plancov's tokenizer, which has the domain user
    dictionary loaded (a saved spaCy model does not carry it)."""
    from .tokens import init_tokenizer

    if getattr(nlp.tokenizer, "segmenter", None) == "jieba":
        nlp.tokenizer.jieba_seg = init_tokenizer()


def _require_spacy():
    try:
        import spacy
    except ImportError:  # pragma: no cover
        raise ImportError("The spaCy backend needs spaCy: pip install spacy") from None
    return spacy


class SpacyRequirementModel:
    """Multi-label requirement probabilities from a spaCy ``textcat_multilabel``."""

    name = "spacy"

    def __init__(self, labels: tuple[str, ...], config_path: Path = CONFIG):
        self.labels = tuple(labels)
        self.config_path = Path(config_path)

    def _docs(self, nlp, texts: list[str], words: list[list[str]] | None) -> tuple[list[int], list]:
        """Docs for the texts that have words, with their indices: a paragraph with no words (a
        bare number, a lone "二、") is left out — it teaches nothing and scores 0."""
        from spacy.tokens import Doc

        if words is None:
            docs = nlp.tokenizer.pipe([fold(t) for t in texts])
        else:
            docs = (Doc(nlp.vocab, words=w) if w else None for w in words)
        pairs = [(i, d) for i, d in enumerate(docs) if d is not None and len(d)]
        return [i for i, _ in pairs], [d for _, d in pairs]

    def fit(self, texts: list[str], Y: np.ndarray, words: list[list[str]] | None = None) -> "SpacyRequirementModel":
        spacy = _require_spacy()
        from spacy.training import Example
        from spacy.util import fix_random_seed, load_config, minibatch

        config = load_config(self.config_path)
        train_cfg = config.pop("training")
        fix_random_seed(int(train_cfg["seed"]))
        nlp = spacy.util.load_model_from_config(config, auto_fill=True, validate=True)
        _use_our_jieba(nlp)
        textcat = nlp.get_pipe("textcat_multilabel")
        for lab in self.labels:
            textcat.add_label(lab)
        keep, docs = self._docs(nlp, texts, words)
        examples = [Example.from_dict(d, {"cats": {lab: float(Y[i, j]) for j, lab in enumerate(self.labels)}})
                    for i, d in zip(keep, docs)]
        optimizer = nlp.initialize(lambda: examples)
        optimizer.learn_rate = float(train_cfg["learn_rate"])
        rng = random.Random(int(train_cfg["seed"]))
        for epoch in range(int(train_cfg["max_epochs"])):
            rng.shuffle(examples)
            losses: dict = {}
            for batch in minibatch(examples, size=int(train_cfg["batch_size"])):
                nlp.update(batch, sgd=optimizer, drop=float(train_cfg["dropout"]), losses=losses)
            log.debug("spacy epoch %d loss %.4f", epoch, losses.get("textcat_multilabel", 0.0))
        self.nlp_ = nlp
        return self

    def predict_proba(self, texts: list[str], M=None, analyzed=None, words=None) -> np.ndarray:
        """Probabilities (n, n_labels); ``words`` (or ``analyzed`` features) skip segmenting again."""
        if not texts:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        from .tokens import words_of

        if words is None and analyzed is not None:
            words = [words_of(a) for a in analyzed]
        out = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        textcat = self.nlp_.get_pipe("textcat_multilabel")
        keep, docs = self._docs(self.nlp_, texts, words)
        for i, doc in zip(keep, textcat.pipe(docs, batch_size=256)):
            for j, lab in enumerate(self.labels):
                out[i, j] = doc.cats.get(lab, 0.0)
        return out

    def explain(self, words: list[str], label: str, k: int = 5) -> tuple[str, ...]:
        """The words whose removal lowers ``label``'s probability most (leave-one-word-out over
        the distinct words of one paragraph: a bag-of-words model has no other attribution)."""
        from spacy.tokens import Doc

        distinct = [w for w in dict.fromkeys(words) if len(w) >= 2 and "0" not in w]
        if not distinct or label not in self.labels:
            return ()
        textcat = self.nlp_.get_pipe("textcat_multilabel")
        docs = [Doc(self.nlp_.vocab, words=words)]
        docs += [Doc(self.nlp_.vocab, words=[x for x in words if x != w] or ["。"]) for w in distinct]
        p = [d.cats.get(label, 0.0) for d in textcat.pipe(docs, batch_size=256)]
        drop = sorted(((p[0] - q, w) for w, q in zip(distinct, p[1:])), key=lambda t: -t[0])
        return tuple(w for d, w in drop[:k] if d > 0)

    def save(self, folder: Path) -> None:
        self.nlp_.to_disk(folder)

    @classmethod
    def load(cls, folder: Path, labels: tuple[str, ...]) -> "SpacyRequirementModel":
        spacy = _require_spacy()
        m = cls(labels)
        m.nlp_ = spacy.load(folder)
        _use_our_jieba(m.nlp_)
        _orth_only(m.nlp_)
        return m


def _orth_only(nlp) -> None:
    """Skip computing lexical attributes (shape, prefix, like_num, …) for every new word when the
    only component is a bag-of-words text classifier, which reads the words' ORTH alone: about
    half the cost of building a Doc from words not seen before."""
    arch = [c.get("model", {}).get("@architectures", "") for c in nlp.config.get("components", {}).values()]
    if nlp.pipe_names == ["textcat_multilabel"] and all(a.startswith("spacy.TextCatBOW") for a in arch):
        nlp.vocab.lex_attr_getters = {}
