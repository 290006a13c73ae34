"""Text features: the fast paths (packed character n-grams, batched TF-IDF, cached segmentation)
give exactly what the plain definitions give."""

from collections import Counter

import numpy as np
import pytest

from pipeline.classifiers import MODELS_DIR
from pipeline.classifiers.tokens import (
    _segment, analyze, analyze_chars, char_ngrams, fold, gram_key, gram_keys, init_tokenizer, words_of,
)
from pipeline.classifiers.vectorizer import TextVectorizer
from pipeline.corpus import load_corpus

ODD = ["", "。，、", "a_b c", "ＡＢＣ１２３ abc", "x", "𠀀𠀁𠀂ab中", "ab\ncd", "全年開展主題黨日１２次", "\ud800孤立"]


@pytest.fixture(scope="module")
def folded():
    return [fold(t) for d in load_corpus()[:40] for t in d.texts] + [fold(t) for t in ODD]


@pytest.mark.parametrize("n_min,n_max", [(2, 3), (1, 3), (3, 3), (1, 1), (2, 2)])
def test_gram_keys_are_char_ngrams(folded, n_min, n_max):
    keys, rows = gram_keys(folded, n_min, n_max)
    got = [Counter() for _ in folded]
    for k, r in zip(keys.tolist(), rows.tolist()):
        got[r][k] += 1
    expected = [Counter(gram_key(g) for g in char_ngrams(t, n_min, n_max, folded=True)) for t in folded]
    assert got == expected
    assert sum(map(sum, (c.values() for c in got))) > 1000


def test_gram_keys_rejects_longer_grams():
    with pytest.raises(ValueError):
        gram_keys(["一二三四"], 2, 4)


def test_char_ngrams_order_and_runs():
    assert char_ngrams("开展学习，a1", folded=True) == ["开展", "展学", "学习", "开展学", "展学习", "a1"]
    assert char_ngrams("一", folded=True) == []


def _assert_same_csr(A, B):
    A, B = A.tocsr(), B.tocsr()
    assert A.shape == B.shape
    np.testing.assert_array_equal(A.indptr, B.indptr)
    np.testing.assert_array_equal(A.indices, B.indices)
    np.testing.assert_allclose(A.data, B.data, rtol=1e-6, atol=0)


def test_keyed_transform_equals_string_transform(folded):
    init_tokenizer()
    texts = folded[:400]
    vec = TextVectorizer(analyze, min_df=2).fit(texts)
    analyzed = [analyze(t, folded=True) for t in texts]
    words = [words_of(a) for a in analyzed]
    X = vec.transform(texts, analyzed)
    assert X.nnz > 5000
    _assert_same_csr(vec.transform_keyed(len(texts), words, gram_keys(texts)), X)
    # characters only, against a vectoriser of characters only
    cvec = TextVectorizer(analyze_chars, min_df=2).fit(texts)
    _assert_same_csr(cvec.transform_keyed(len(texts), grams=gram_keys(texts)),
                     cvec.transform(texts, [analyze_chars(t, folded=True) for t in texts]))


def test_transform_is_sublinear_tfidf_l2():
    """Same maths as scikit-learn's TfidfVectorizer(sublinear_tf=True) on the same features."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = ["开展 学习 学习 学习", "学习 调研", "调研 走访 走访", "开展 调研"]
    split = str.split
    ours = TextVectorizer(split, min_df=1, max_features=None).fit(texts)
    ref = TfidfVectorizer(analyzer=split, sublinear_tf=True).fit(texts)
    assert sorted(ours.vocabulary_) == sorted(ref.vocabulary_)
    order = [ours.vocabulary_[f] for f in ref.get_feature_names_out()]
    np.testing.assert_allclose(ours.transform(texts).toarray()[:, order], ref.transform(texts).toarray(), rtol=1e-5)
    # a text with no known feature is a zero row, not a division by zero
    Z = ours.transform(["未知"])
    assert Z.shape == (1, len(ours.vocabulary_)) and Z.nnz == 0


def test_keyed_transform_of_nothing():
    vec = TextVectorizer(analyze_chars, min_df=1).fit(["开展学习"])
    X = vec.transform_keyed(2, grams=gram_keys(["", "。"]))
    assert X.shape == (2, len(vec.vocabulary_)) and X.nnz == 0
    with pytest.raises(ValueError):
        vec.transform_keyed(2, words=[["开展"]])


def test_segmentation_survives_a_full_fragment_cache(monkeypatch):
    """The fragment cache is cleared when full, and the words stay jieba's."""
    from pipeline.classifiers import tokens

    tk = init_tokenizer()
    monkeypatch.setattr(tokens, "_LOGP_MAX", 50)
    tokens._cut_block.cache_clear()
    texts = [fold(t) for d in load_corpus()[:5] for t in d.texts]
    assert [_segment(t) for t in texts] == [tk.lcut(t, HMM=False) for t in texts]
    assert len(tokens._LOGP) <= 50 + 200
    tokens._cut_block.cache_clear()


def test_spacy_orth_only_vocab_gives_the_same_probabilities():
    """Lexical attributes are not computed for new words; the bag-of-words textcat reads ORTH only."""
    import json

    import spacy

    from pipeline.classifiers.spacy_textcat import SpacyRequirementModel, _use_our_jieba

    labels = tuple(json.loads((MODELS_DIR / "metadata.json").read_text(encoding="utf-8"))["labels"])
    fast = SpacyRequirementModel.load(MODELS_DIR / "spacy", labels)
    assert fast.nlp_.vocab.lex_attr_getters == {}
    full = SpacyRequirementModel(labels)
    full.nlp_ = spacy.load(MODELS_DIR / "spacy")
    _use_our_jieba(full.nlp_)
    assert len(full.nlp_.vocab.lex_attr_getters) > 5
    texts = ["全年开展主题党日12次，组织党员到社区双报到志愿服务。", "推行一网通办，限时办结率100%。"]
    words = [words_of(analyze(t)) for t in texts]
    P, Q = fast.predict_proba(texts, words=words), full.predict_proba(texts, words=words)
    assert P.max() > 0.5
    np.testing.assert_array_equal(P, Q)


def test_paragraphs_without_words_score_zero_not_crash():
    """A paragraph that keeps no word (a lone "二、", a bare number) gets 0 from the spaCy model,
    and the classifier scores it with the rest of its document."""
    import json

    from pipeline.classifiers import load_classifier
    from pipeline.classifiers.spacy_textcat import SpacyRequirementModel
    from pipeline.corpus import SEED_PLAN
    from pipeline.plan import load_plan

    labels = tuple(json.loads((MODELS_DIR / "metadata.json").read_text(encoding="utf-8"))["labels"])
    model = SpacyRequirementModel.load(MODELS_DIR / "spacy", labels)
    texts = ["二、", "全年开展主题党日12次。", "２０２２"]
    P = model.predict_proba(texts, words=[[], words_of(analyze(texts[1])), []])
    assert P.shape == (3, len(labels))
    assert not P[0].any() and not P[2].any() and P[1].max() > 0.3
    clf = load_classifier(load_plan(SEED_PLAN))
    R = clf.requirement_proba(texts)
    assert R.shape == (3, len(labels)) and np.isfinite(R).all()
