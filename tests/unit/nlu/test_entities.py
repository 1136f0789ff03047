"""Entity extraction: a table of texts and the entities they must (and must not) yield."""

from __future__ import annotations

import pytest

from services.nlu.entities import extract_entities
from shared.schemas.events import Entity

CASES: list[tuple[str, str, str, str | None, float | None]] = [
    # text, kind, value, currency, amount
    ("I was charged $750 for nothing", "amount", "750.00 USD", "USD", 750.0),
    ("they took 750 USD", "amount", "750.00 USD", "USD", 750.0),
    ("a charge of EUR 1,200.50 appeared", "amount", "1200.50 EUR", "EUR", 1200.5),
    ("it cost me 750 dollars", "amount", "750.00 USD", "USD", 750.0),
    ("a £30 fee", "amount", "30.00 GBP", "GBP", 30.0),
    ("paid 12,50 € at the till", "amount", "12.50 EUR", "EUR", 12.5),
    ("refund of 1.234,56 EUR", "amount", "1234.56 EUR", "EUR", 1234.56),
    ("they owe me $5k", "amount", "5000.00 USD", "USD", 5000.0),
    ("only 50 cents", "amount", "0.50 USD", "USD", 0.5),
    ("where is order #A12345?", "order_number", "A12345", None, None),
    ("my order number 123-456 is late", "order_number", "123-456", None, None),
    ("Order No. 55321 never came", "order_number", "55321", None, None),
    ("ticket #88213 please", "order_number", "88213", None, None),
    ("account number 12345678", "account_number", "12345678", None, None),
    ("acct # 9876 5432", "account_number", "98765432", None, None),
    ("IBAN GB82 WEST 1234 5698 7654 32", "account_number", "GB82WEST12345698765432", None, None),
    ("my card 4242 4242 4242 4242 was used", "card_number", "card ending 4242", None, None),
    ("the visa ending in 1881", "card_number", "card ending 1881", None, None),
    ("last four digits are 0005", "card_number", "card ending 0005", None, None),
    ("card **** **** **** 4444", "card_number", "card ending 4444", None, None),
    ("mail me at Jane.Doe+cs@Example.co.uk", "email", "jane.doe+cs@example.co.uk", None, None),
    ("call (415) 555-0132", "phone", "4155550132", None, None),
    ("ring +44 20 7946 0958 today", "phone", "+442079460958", None, None),
    ("my number is 415.555.0132", "phone", "4155550132", None, None),
    ("mobile 07700 900123", "phone", "07700900123", None, None),
    ("it happened on 12/03/2026", "date", "12/03/2026", None, None),
    ("booked for 2026-03-12", "date", "2026-03-12", None, None),
    ("since March 3 nothing", "date", "March 3", None, None),
    ("on Mar 3rd, 2026 I paid", "date", "March 3, 2026", None, None),
    ("the 3rd of March", "date", "March 3", None, None),
    ("ordered in May 2025", "date", "May 2025", None, None),
    ("it broke yesterday", "date", "yesterday", None, None),
    ("I called last Tuesday", "date", "last tuesday", None, None),
    ("two weeks ago it shipped", "date", "two weeks ago", None, None),
    ("I ordered it 3 days ago", "date", "3 days ago", None, None),
]


@pytest.mark.parametrize(("text", "kind", "value", "currency", "amount"), CASES)
def test_extracts(
    text: str, kind: str, value: str, currency: str | None, amount: float | None
) -> None:
    found = [entity for entity in extract_entities(text) if entity.kind == kind]
    assert len(found) == 1, extract_entities(text)
    entity = found[0]
    assert entity.value == value
    assert entity.currency == currency
    assert entity.amount == (pytest.approx(amount) if amount is not None else None)
    assert entity.text in text or kind == "card_number"


@pytest.mark.parametrize(
    "text",
    [
        "I have 2 kids and 3 dogs",
        "I ordered 2 items",
        "you may 5 times refuse",
        "call me maybe",
        "order placed yesterday at 5",
        "1234 5678 9012 3456",  # fails the Luhn check: not a card
        "the price is 750",  # no currency: not an amount
        "open on sundays?",
        "version 1.2.3",
    ],
)
def test_rejects(text: str) -> None:
    kinds = {entity.kind for entity in extract_entities(text)}
    assert not kinds - {"date"} or text == "order placed yesterday at 5"
    assert "card_number" not in kinds
    assert "amount" not in kinds
    assert "order_number" not in kinds
    assert "phone" not in kinds


def test_card_number_never_leaves_unmasked() -> None:
    (card,) = extract_entities("charge it to 4111-1111-1111-1111 please")
    assert card == Entity(kind="card_number", value="card ending 1111", text="****-****-****-1111")


def test_order_number_wins_over_phone_and_results_are_in_reading_order() -> None:
    text = "order number 555-123-4567 charged $20 on 12/03/2026, email a@b.io"
    kinds = [entity.kind for entity in extract_entities(text)]
    assert kinds == ["order_number", "amount", "date", "email"]


def test_several_entities_in_one_message() -> None:
    text = (
        "Hi, I was charged $750 twice on 12/03/2026 for order #A12345 with my card ending 4242. "
        "Call me at (415) 555-0132 or email john@example.com"
    )
    values = {(entity.kind, entity.value) for entity in extract_entities(text)}
    assert values == {
        ("amount", "750.00 USD"),
        ("date", "12/03/2026"),
        ("order_number", "A12345"),
        ("card_number", "card ending 4242"),
        ("phone", "4155550132"),
        ("email", "john@example.com"),
    }


def test_no_entities_in_plain_text() -> None:
    assert extract_entities("I just want to talk to someone") == []
    assert extract_entities("") == []


def _corpus() -> list[str]:
    """Texts with and without entities: the table above, the shipped examples, bench
    traffic, and random mixes of the pieces the patterns key on (and near misses)."""
    import random

    import yaml

    from services.bench.traffic import conversation
    from services.nlu.intent_data import GENERAL_INTENTS_PATH

    texts = [case[0] for case in CASES]
    general = yaml.safe_load(GENERAL_INTENTS_PATH.read_text())
    texts += [t for examples in general.values() for t in examples]
    rng = random.Random(11)
    for i in range(200):
        turns = conversation("t", f"s{i}", customer_turns=4, escalate=i % 3 == 0, rng=rng)
        texts += [t.text for t in turns]
    pieces = str.split(
        "order orders orderA123 order# ORDER-77 purchase booking12 # #A1B2 $ US$ C$ £ € ¥ ₹"
        " USD usd eur 5k 2m thousand dollars dollar cents bucks quid ending ending1234 last"
        " four 4 digits **** xxxx XXXX •••• account acct acc. accounts no. nr id IBAN GB82"
        " WEST 1234 5698 7654 32 March mar. Mar 3rd of May may 2025 1999 12/03/2026 2026-03-12"
        " 12.03.26 3/4 on since yesterday tomorrow last Tuesday two weeks ago 3 days ago"
        " +44 20 7946 0958 (415) 555-0132 415.555.0132 07700 900123 0044 4242 4242 4242 4242"
        " jane@example.com a@b , . ! ? : - / 750 1,200.50 1.234,56 12,50 55321 123-456 0005"
    )
    for _ in range(4000):
        words = rng.choices(pieces, k=rng.randint(1, 9))
        texts.append("".join(w + rng.choice(["", " ", " ", " ", ", "]) for w in words))
    return texts


def test_pattern_gates_never_change_what_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each pattern runs only when the words or characters it needs are in the text; with
    # every gate open, every text must yield exactly the same entities.
    import services.nlu.entities as entities

    texts = _corpus()
    gated = [extract_entities(t) for t in texts]
    monkeypatch.setattr(entities, "_GATED", False)
    ungated = [extract_entities(t) for t in texts]
    differ = [(t, g, u) for t, g, u in zip(texts, gated, ungated, strict=True) if g != u]
    assert not differ, differ[:3]
    assert sum(1 for found in gated if found) > 1000  # the corpus does exercise the patterns
