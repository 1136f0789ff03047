"""The shipped BANKING77 model and its catalog, loaded offline without the data set."""

from __future__ import annotations

import pytest

from services.nlu.catalog import load_catalog
from services.nlu.intent_model import (
    META_FILE,
    IntentModel,
    load_shipped,
    read_meta,
    shipped_model_dir,
)

CATALOG = shipped_model_dir("banking77").parent.parent / "data" / "banking77_catalog.yaml"


@pytest.fixture(scope="module")
def model() -> IntentModel:
    return load_shipped("banking77", backend="fast")


def test_shipped_model_is_small_versioned_and_has_77_intents() -> None:
    folder = shipped_model_dir("banking77", "fast")
    size = sum(path.stat().st_size for path in folder.iterdir())
    assert size < 8_000_000
    meta = read_meta(folder)
    assert len(meta["labels"]) == 77
    assert meta["version"].startswith("intent-tfidf-lr-")
    assert meta["n_examples"] == 10003
    assert "BANKING77" in meta["source"]


def test_catalog_maps_every_banking_intent() -> None:
    catalog = load_catalog(CATALOG)
    labels = set(read_meta(shipped_model_dir("banking77", "fast"))["labels"])
    assert labels == set(catalog.intents) - {"oos"}
    assert catalog.tier("card_payment_not_recognised") == "sensitive"
    assert catalog.topic("card_payment_not_recognised") == "fraud"
    assert catalog.topic("compromised_card") == "fraud"
    assert catalog.topic("lost_or_stolen_phone") == "security"
    assert catalog.topic("transaction_charged_twice") == "billing_dispute"
    assert catalog.tier("card_arrival") == "routine"
    assert catalog.tier("oos") == "complex"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("my new card still has not come in the post", "card_arrival"),
        ("there is a payment on my card I never made", "card_payment_not_recognised"),
        ("someone stole my phone", "lost_or_stolen_phone"),
        ("I was charged two times for one purchase", "transaction_charged_twice"),
        ("how do I close my account", "terminate_account"),
    ],
)
def test_unseen_paraphrases(model: IntentModel, text: str, intent: str) -> None:
    assert model.predict(text).alternatives[0][0] == intent


def test_accurate_folder_matches_the_fast_labels_when_built() -> None:
    folder = shipped_model_dir("banking77", "accurate")
    if not (folder / META_FILE).is_file():
        pytest.skip("accurate banking model not built")
    meta = read_meta(folder)
    assert meta["labels"] == read_meta(shipped_model_dir("banking77", "fast"))["labels"]
    assert meta["backend"] == "accurate"
