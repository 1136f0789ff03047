"""The intent catalog maps intents to tiers and specialist topics."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from services.nlu.catalog import IntentCatalog, IntentInfo, load_catalog


@pytest.mark.parametrize(
    ("intent", "tier", "topic"),
    [
        ("order_status", "routine", None),
        ("billing_dispute", "complex", "billing_dispute"),
        ("fraud_unauthorized", "sensitive", "fraud"),
        ("account_security", "sensitive", "security"),
        ("legal_complaint", "sensitive", "legal"),
        ("health_claim", "sensitive", "health"),
        ("human_request", "complex", None),
        ("oos", "complex", None),
        ("never_heard_of_it", "complex", None),
    ],
)
def test_shipped_catalog(intent: str, tier: str, topic: str | None) -> None:
    catalog = load_catalog()
    assert catalog.tier(intent) == tier
    assert catalog.topic(intent) == topic


def test_oos_is_complex_even_when_the_file_omits_it() -> None:
    catalog = IntentCatalog({"greeting": IntentInfo(tier="routine")})
    assert catalog.tier("oos") == "complex"
    assert catalog.tier("unknown") == "complex"
    assert catalog.topic("unknown") is None


def test_custom_catalog_file(tmp_path: Path) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text("intents:\n  wire_transfer: {tier: sensitive, topic: fraud}\n")
    catalog = load_catalog(path)
    assert catalog.tier("wire_transfer") == "sensitive"
    assert catalog.topic("wire_transfer") == "fraud"
    assert catalog.tier("anything_else") == "complex"


def test_invalid_tier_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text("intents:\n  x: {tier: urgent}\n")
    with pytest.raises(ValidationError):
        load_catalog(path)
