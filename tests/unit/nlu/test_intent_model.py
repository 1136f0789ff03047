"""The intent model trains, predicts, rejects out-of-scope text and survives a save/load."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.nlu.intent_model import META_FILE, MODEL_FILE, IntentModel
from tests.unit.nlu.examples import template_rows


def _tiny_examples() -> list[tuple[str, str]]:
    """Build a small, deterministic training set from templates."""
    rows = template_rows()
    rows += [("quantum chromodynamics lecture", "oos"), ("volcano eruption facts", "oos")]
    return rows


@pytest.fixture(scope="module")
def tiny_model() -> IntentModel:
    return IntentModel.train(_tiny_examples(), seed=0)


def test_train_learns_labels_but_never_oos(tiny_model: IntentModel) -> None:
    assert tiny_model.labels == ("greet", "password", "refund", "track")
    assert "oos" not in tiny_model.labels
    assert 0.0 <= tiny_model.threshold < 1.0
    assert tiny_model.meta["n_examples"] == 96
    assert tiny_model.meta["n_oos_examples"] == 2
    assert tiny_model.version.startswith("intent-tfidf-lr-")


def test_predicts_unseen_phrasings(tiny_model: IntentModel) -> None:
    assert tiny_model.predict("where is my parcel now").alternatives[0][0] == "track"
    assert tiny_model.predict("I forgot my password").alternatives[0][0] == "password"
    assert tiny_model.predict("I want a refund for the box").alternatives[0][0] == "refund"


def test_alternatives_are_top_three_sorted(tiny_model: IntentModel) -> None:
    prediction = tiny_model.predict("where is my order")
    scores = [score for _, score in prediction.alternatives]
    assert len(prediction.alternatives) == 3
    assert scores == sorted(scores, reverse=True)
    assert prediction.confidence == pytest.approx(scores[0])
    if prediction.in_scope:
        assert prediction.intent == prediction.alternatives[0][0]
    else:
        assert prediction.intent == "oos"


def test_in_scope_follows_threshold(tiny_model: IntentModel) -> None:
    for prediction in tiny_model.predict_batch(["where is my order", "zzzz qqqq", ""]):
        assert prediction.in_scope == (prediction.confidence >= tiny_model.threshold)
        assert (prediction.intent == "oos") == (not prediction.in_scope)


def test_empty_batch_returns_empty_list(tiny_model: IntentModel) -> None:
    assert tiny_model.predict_batch([]) == []


def test_save_load_round_trip(tiny_model: IntentModel, tmp_path: Path) -> None:
    tiny_model.save(tmp_path / "model")
    meta = json.loads((tmp_path / "model" / META_FILE).read_text())
    assert (tmp_path / "model" / MODEL_FILE).is_file()
    assert {"version", "threshold", "labels", "trained_at", "n_examples"} <= meta.keys()

    loaded = IntentModel.load(tmp_path / "model")
    texts = ["where is my package", "hello", "reset my password", "send it back"]
    assert loaded.version == tiny_model.version
    assert loaded.labels == tiny_model.labels
    assert loaded.threshold == tiny_model.threshold
    assert loaded.predict_batch(texts) == tiny_model.predict_batch(texts)


def test_load_rejects_mismatched_labels(tiny_model: IntentModel, tmp_path: Path) -> None:
    tiny_model.save(tmp_path)
    meta = json.loads((tmp_path / META_FILE).read_text())
    meta["labels"] = ["something", "else"]
    (tmp_path / META_FILE).write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="labels"):
        IntentModel.load(tmp_path)


def test_training_is_deterministic() -> None:
    first = IntentModel.train(_tiny_examples(), seed=3)
    second = IntentModel.train(_tiny_examples(), seed=3)
    assert first.threshold == second.threshold
    assert first.version == second.version
    assert first.predict("where is my box") == second.predict("where is my box")


def test_train_needs_two_intents() -> None:
    with pytest.raises(ValueError, match="two"):
        IntentModel.train([("hello", "greet"), ("hi", "greet"), ("weather", "oos")])


def test_two_intents_train_without_leaving_any_out() -> None:
    rows = [(f"where is order {i}", "track") for i in range(6)]
    rows += [(f"refund item {i}", "refund") for i in range(6)]
    model = IntentModel.train(rows)
    assert model.labels == ("refund", "track")
    assert model.predict("where is order 99").alternatives[0][0] == "track"
