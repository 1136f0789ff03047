"""The lexicon-and-rules sentiment scorer: polarity, negation, emphasis and cues."""

from __future__ import annotations

import pytest

from services.nlu.sentiment_cues import CueConfig
from services.nlu.sentiment_model import SentimentModel, SentimentResult, load_default


@pytest.fixture(scope="module")
def model() -> SentimentModel:
    return load_default()


@pytest.mark.parametrize(
    "text",
    [
        "thanks, that helped!",
        "great, perfect, exactly what I needed",
        "You have been so helpful, I really appreciate it",
        "I love it :)",
    ],
)
def test_positive(model: SentimentModel, text: str) -> None:
    result = model.score(text)
    assert result.label == "positive"
    assert result.score > 0.3
    assert not result.frustration


@pytest.mark.parametrize(
    "text",
    [
        "this is ridiculous",
        "worst service ever, totally useless",
        "what a waste of time",
        "I've been charged twice, unacceptable",
        "you guys are a scam",
        "my parcel never arrived",
        "it still doesn't work",
    ],
)
def test_negative(model: SentimentModel, text: str) -> None:
    result = model.score(text)
    assert result.label == "negative"
    assert result.score < -0.3


@pytest.mark.parametrize(
    "text", ["what is my order status", "Hello", "I need to change my address"]
)
def test_neutral(model: SentimentModel, text: str) -> None:
    result = model.score(text)
    assert result.label == "neutral"
    assert result.cues == ()


def test_negated_positive_is_negative(model: SentimentModel) -> None:
    assert model.score("I am happy").label == "positive"
    assert model.score("I am not happy").label == "negative"
    assert model.score("that was not helpful at all").label == "negative"


def test_negated_frustration_is_not_frustration(model: SentimentModel) -> None:
    result = model.score("not frustrated, just asking")
    assert not result.frustration
    assert result.label != "negative"
    assert not any(cue.startswith("keyword:") for cue in result.cues)


def test_negation_stops_at_clause_boundary(model: SentimentModel) -> None:
    result = model.score("I'm not angry, I'm furious")
    assert result.frustration
    assert "keyword:furious" in result.cues
    assert "keyword:angry" not in result.cues


def test_intensifiers_and_dampeners_move_the_score(model: SentimentModel) -> None:
    plain = model.score("this is bad").score
    assert model.score("this is very bad").score < plain
    assert model.score("this is a bit bad").score > plain


def test_but_shifts_weight_to_the_second_clause(model: SentimentModel) -> None:
    assert model.score("the food was good but the service was terrible").label == "negative"
    assert model.score("the wait was annoying but the agent was great").label == "positive"


def test_shouting_raises_intensity_and_is_a_cue(model: SentimentModel) -> None:
    calm = model.score("this is the worst service")
    loud = model.score("THIS IS THE WORST SERVICE")
    assert loud.score < calm.score
    assert "shouting" in loud.cues
    assert "shouting" not in calm.cues
    assert loud.frustration


def test_a_single_acronym_is_not_shouting(model: SentimentModel) -> None:
    assert "shouting" not in model.score("Where do I find the FAQ page?").cues


def test_exclamations_raise_intensity_and_are_a_cue(model: SentimentModel) -> None:
    flat = model.score("this is awful")
    loud = model.score("this is awful!!!")
    assert loud.score < flat.score
    assert "exclamations" in loud.cues
    assert loud.frustration  # a weak cue in a negative message


def test_exclamations_in_a_happy_message_are_not_frustration(model: SentimentModel) -> None:
    result = model.score("thank you so much!!")
    assert "exclamations" in result.cues
    assert not result.frustration


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        ("this is the third time I'm contacting you", "repeat:third time"),
        ("I already told you my order number", "repeat:already told you"),
        ("why do I keep asking the same question", "repeat:keep asking"),
        ("how many times do I have to explain", "repeat:how many times"),
        ("still waiting for my refund", "repeat:still waiting"),
        ("That's what you said last week. A person please.", "repeat:that's what you said"),
        ("I got the same answer last time", "repeat:same answer"),
    ],
)
def test_repeat_contact_cues_mean_frustration(model: SentimentModel, text: str, cue: str) -> None:
    result = model.score(text)
    assert cue in result.cues
    assert result.frustration


def test_asking_what_was_said_is_not_a_repeat(model: SentimentModel) -> None:
    result = model.score("is that what you said?")
    assert not result.frustration
    assert not any(c.startswith("repeat:") for c in result.cues)


def test_weak_repeat_cue_needs_negativity(model: SentimentModel) -> None:
    assert "repeat:again" in model.score("can you check again please").cues
    assert not model.score("can you check again please").frustration
    assert model.score("it broke again, terrible").frustration


def test_thanks_again_is_not_a_repeat(model: SentimentModel) -> None:
    result = model.score("thanks again")
    assert result.cues == ()
    assert result.label == "positive"


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        ("I need this fixed urgently", "urgency:urgently"),
        ("please call me asap", "urgency:asap"),
        ("it's an emergency", "urgency:emergency"),
        ("cancel it right now", "urgency:right now"),
        ("stop the payment immediately", "urgency:immediately"),
    ],
)
def test_urgency(model: SentimentModel, text: str, cue: str) -> None:
    result = model.score(text)
    assert result.urgency
    assert cue in result.cues


def test_negated_urgency(model: SentimentModel) -> None:
    for text in ("it's not urgent", "this is not an emergency, no rush"):
        result = model.score(text)
        assert not result.urgency
        assert not any(cue.startswith("urgency:") for cue in result.cues)


def test_cue_lists_are_configurable() -> None:
    custom = SentimentModel(cues=CueConfig(frustration_keywords=("grumpy",), urgency_keywords=()))
    assert custom.score("I am grumpy").frustration
    assert custom.score("I am grumpy").cues == ("keyword:grumpy",)
    assert not custom.score("this is urgent").urgency


def test_batch_matches_single_and_scores_are_bounded(model: SentimentModel) -> None:
    texts = ["AWFUL AWFUL AWFUL!!!!!!", "best best best :) :) <3", "", "ok"]
    batch = model.score_batch(texts)
    assert batch == [model.score(text) for text in texts]
    for result in batch:
        assert isinstance(result, SentimentResult)
        assert -1.0 <= result.score <= 1.0
        assert result.label in {"negative", "neutral", "positive"}


def test_version_names_the_lexicon(model: SentimentModel) -> None:
    assert model.version.startswith("lexicon-rules-")
