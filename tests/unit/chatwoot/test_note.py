"""The private note: summary, reasons and facts, readable and bounded."""

from __future__ import annotations

from services.chatwoot.note import render_note
from tests.unit.chatwoot.factory import packet


def test_note_has_summary_reasons_and_facts_in_that_order() -> None:
    p = packet()
    note = render_note(p)
    assert note.startswith("**Baton handoff**: queue billing, priority 2")
    summary = note.index(p.summary)
    why = note.index("**Why a person is needed**")
    facts = note.index("**Already told us, do not ask again**")
    assert summary < why < facts
    assert "- customer asked for a person in turn 3 (turn 3)" in note
    assert "- 1,250.00 EUR in turn 2 is above 1,000 (turn 2)" in note
    assert "- Order number: 98765 (turn 1)" in note
    assert "- Amount: 1250.00 EUR (turn 2)" in note
    assert "Customer: Dana Lee, gold tier." in note
    assert "Repeat contact about the same issue." in note
    assert "Answer within 120 s." in note
    assert note.rstrip().endswith(f"Packet {p.packet_id}, episode 1")


def test_note_without_reasons_facts_or_customer_is_just_the_summary() -> None:
    p = packet().model_copy(
        update={
            "reasons": [],
            "facts": [],
            "customer": None,
            "repeat_contact": False,
            "sla_seconds": None,
        }
    )
    note = render_note(p)
    assert "Why a person" not in note
    assert "Already told us" not in note
    assert "Customer:" not in note


def test_incomplete_packet_says_what_was_missing() -> None:
    p = packet().model_copy(update={"complete": False, "missing": ["intent:5", "sentiment:5"]})
    assert "Built before these analyses arrived: intent:5, sentiment:5." in render_note(p)


def test_multiline_details_stay_on_their_bullet_and_long_notes_are_clipped() -> None:
    reason = packet().reasons[0].model_copy(update={"detail": "first line\n  second line"})
    assert "- first line second line (turn 3)" in render_note(
        packet().model_copy(update={"reasons": [reason]})
    )
    p = packet().model_copy(update={"summary": "word " * 5000})
    note = render_note(p, max_chars=500)
    assert len(note) == 500
    assert note.endswith("…")
