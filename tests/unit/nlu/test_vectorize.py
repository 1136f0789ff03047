"""Baton's TF-IDF matches scikit-learn's, and its direct scoring matches the matrix product."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]

from services.nlu._features import FeatureStack, LinearHead, ngrams
from services.nlu.intent_model import load_default

TRAIN = [
    "where is my order",
    "my card was charged twice, twice!",
    "I want to talk to a real person",
    "cancel my subscription please",
    "café opening hours",
    "refund refund refund",
]
# Unknown words, repeats, an empty text and a text with no known n-gram at all.
TEXTS = ["where is my parcel", "", "zzzz qqqq", "charged charged twice", "Café hours", "a"]


@pytest.mark.parametrize(
    ("analyzer", "ngram_range"), [("word", (1, 2)), ("char_wb", (2, 5))], ids=["word", "char"]
)
def test_tfidf_rows_equal_scikit_learns(analyzer: str, ngram_range: tuple[int, int]) -> None:
    ours = ngrams(analyzer, ngram_range)
    ours.fit(TRAIN)
    words = {"token_pattern": r"\w+"} if analyzer == "word" else {}
    theirs = TfidfVectorizer(
        analyzer=analyzer,
        ngram_range=ngram_range,
        sublinear_tf=True,
        strip_accents="unicode",
        **words,
    ).fit(TRAIN)
    columns = sorted(ours.vocabulary_, key=ours.vocabulary_.get)
    order = [theirs.vocabulary_[gram] for gram in columns]
    expected = theirs.transform(TEXTS).toarray()[:, order]
    np.testing.assert_allclose(ours.transform(TEXTS).toarray(), expected, atol=1e-6)


def test_direct_scores_equal_the_matrix_product() -> None:
    stack = FeatureStack([ngrams("word", (1, 2)), ngrams("char_wb", (2, 5))])
    stack.fit_transform(TRAIN)
    rng = np.random.default_rng(0)
    width = sum(block.width for block in stack.blocks)
    head = LinearHead(["a", "b", "c"], rng.normal(size=(3, width)), rng.normal(size=3))
    for texts in (TEXTS, TEXTS[2:3], TEXTS * 10, TEXTS * 50):  # direct, and through scipy
        np.testing.assert_allclose(
            stack.scores(texts, head),
            head.decision_function(stack.transform(texts)),
            rtol=1e-5,
            atol=1e-5,
        )
        assert not np.allclose(stack.scores(texts, head), 0.0)


def test_the_shipped_model_scores_as_through_the_matrix() -> None:
    model = load_default()
    texts = [*TEXTS, "I lost my card and someone used it", "how do I reset my password"]
    features, head = model._features, model._head
    np.testing.assert_allclose(
        features.scores(texts, head),
        head.decision_function(features.transform(texts)),
        rtol=1e-5,
        atol=1e-5,
    )
