"""The shipped general customer-service model on phrasings it was never trained on."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from services.nlu.catalog import load_catalog
from services.nlu.intent_data import GENERAL_INTENTS_PATH, load_examples
from services.nlu.intent_model import (
    GENERAL_MODEL_DIR,
    META_FILE,
    MODEL_FILE,
    IntentModel,
    build_default,
    general_data_digest,
    load_default,
    read_meta,
    shipped_model_dir,
)

EXPECTED_INTENTS = {
    "order_status",
    "shipping_delivery",
    "returns_refunds",
    "billing_question",
    "billing_dispute",
    "payment_problem",
    "password_login",
    "account_update",
    "cancellation",
    "product_question",
    "store_hours_faq",
    "fraud_unauthorized",
    "account_security",
    "legal_complaint",
    "health_claim",
    "human_request",
    "greeting_smalltalk",
}

HELD_OUT = [
    ("can I talk to a real person", "human_request"),
    ("I want to speak with an agent now", "human_request"),
    ("get me a manager", "human_request"),
    ("someone used my credit card without asking me", "fraud_unauthorized"),
    ("I see a transaction on my card that wasn't me", "fraud_unauthorized"),
    ("you billed me twice for the same month", "billing_dispute"),
    ("I was overcharged and want the difference back", "billing_dispute"),
    ("my account was hacked", "account_security"),
    ("I will sue you", "legal_complaint"),
    ("your product made me ill", "health_claim"),
    ("I totally forgot my password, help", "password_login"),
    ("I want to cancel my subscription", "cancellation"),
]


@pytest.fixture(scope="module")
def model() -> IntentModel:
    return load_default()


def test_general_data_has_forty_examples_per_intent() -> None:
    examples = load_examples(GENERAL_INTENTS_PATH)
    counts: dict[str, int] = {}
    for _, intent in examples:
        counts[intent] = counts.get(intent, 0) + 1
    assert set(counts) - {"oos"} == EXPECTED_INTENTS
    assert min(counts[intent] for intent in EXPECTED_INTENTS) >= 40
    texts = {text.lower() for text, _ in examples}
    for text, _ in HELD_OUT:
        assert text.lower() not in texts, f"{text!r} must stay held out of the training data"


def test_model_covers_the_general_intents(model: IntentModel) -> None:
    assert set(model.labels) == EXPECTED_INTENTS


@pytest.mark.parametrize(("text", "intent"), HELD_OUT)
def test_held_out_phrasings(model: IntentModel, text: str, intent: str) -> None:
    prediction = model.predict(text)
    assert prediction.intent == intent
    assert prediction.in_scope


def test_human_resources_is_not_a_human_request(model: IntentModel) -> None:
    assert model.predict("I need the human resources phone number").intent != "human_request"


@pytest.mark.parametrize("text", ["what's the weather on mars", "who will win the world cup"])
def test_out_of_scope(model: IntentModel, text: str) -> None:
    prediction = model.predict(text)
    assert not prediction.in_scope
    assert prediction.intent == "oos"
    assert prediction.alternatives[0][0] in EXPECTED_INTENTS


def test_catalog_knows_every_general_intent(model: IntentModel) -> None:
    catalog = load_catalog()
    assert set(model.labels) <= set(catalog.intents)


def test_shipped_model_is_small_and_current() -> None:
    assert (GENERAL_MODEL_DIR / META_FILE).is_file(), "run services.nlu.intent_model.build_default"
    size = sum(path.stat().st_size for path in GENERAL_MODEL_DIR.iterdir())
    assert size < 5_000_000
    meta = read_meta(GENERAL_MODEL_DIR)
    assert set(meta["labels"]) == EXPECTED_INTENTS
    # Editing the YAML or the pipeline without rebuilding makes every start-up retrain.
    assert meta["data_digest"] == general_data_digest(), "rebuild: intent_model.build_default()"


def test_load_default_trains_in_process_when_no_model(tmp_path: Path) -> None:
    start = time.perf_counter()
    model = load_default(tmp_path / "absent")
    elapsed = time.perf_counter() - start
    assert set(model.labels) == EXPECTED_INTENTS
    assert elapsed < 15.0  # ~2 s on one core; generous for slow CI machines


def test_build_default_writes_a_loadable_model(tmp_path: Path) -> None:
    built = build_default(tmp_path)
    loaded = load_default(tmp_path)
    assert loaded.version == built.version
    assert loaded.predict("where is my order") == built.predict("where is my order")


def test_load_default_rebuilds_an_unreadable_or_stale_model(tmp_path: Path) -> None:
    shutil.copy(GENERAL_MODEL_DIR / META_FILE, tmp_path / META_FILE)
    (tmp_path / MODEL_FILE).write_bytes(b"not a pickle")
    assert set(load_default(tmp_path).labels) == EXPECTED_INTENTS

    meta = read_meta(GENERAL_MODEL_DIR) | {"data_digest": "older data"}
    (tmp_path / META_FILE).write_text(json.dumps(meta))
    shutil.copy(GENERAL_MODEL_DIR / MODEL_FILE, tmp_path / MODEL_FILE)
    rebuilt = load_default(tmp_path)
    assert rebuilt.meta["data_digest"] == general_data_digest()


def test_shipped_accurate_model_is_current() -> None:
    folder = shipped_model_dir("general", "accurate")
    meta = read_meta(folder)
    assert set(meta["labels"]) == EXPECTED_INTENTS
    assert meta["data_digest"] == general_data_digest(backend="accurate"), (
        "rebuild: python -m services.nlu.build --only general"
    )
    assert sum(path.stat().st_size for path in folder.iterdir()) < 5_000_000
