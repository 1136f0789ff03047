"""The escalation service's view of a session, folded from its stored fields."""

from __future__ import annotations

import orjson

from services.escalation.session import ready_turn, view_upto
from shared.stateful import dumps


def _turn(role: str, text: str) -> bytes:
    return dumps({"r": role, "x": text, "c": "chat"})


def _intent(intent: str, confidence: float = 0.9) -> bytes:
    return dumps({"i": intent, "c": confidence, "s": True, "t": "routine", "p": None, "e": []})


def _sentiment(score: float, label: str) -> bytes:
    return dumps({"v": score, "l": label, "f": False, "u": False, "q": []})


def _fields() -> dict[str, bytes]:
    return {
        "t:1": _turn("customer", "where is my order"),
        "i:1": _intent("order_status"),
        "s:1": _sentiment(0.0, "neutral"),
        "t:2": _turn("bot", "It ships tomorrow."),
        "t:3": _turn("customer", "where is my order"),  # the same words again
        "i:3": _intent("order_status"),
        "s:3": _sentiment(0.0, "neutral"),
        "t:4": _turn("bot", "It ships tomorrow."),
        "t:5": _turn("customer", "this is useless"),
        "i:5": _intent("complaint"),  # no sentiment yet: not complete
        "channel": b"voice",
    }


def test_view_holds_complete_customer_turns_and_bot_turns_in_order() -> None:
    view = view_upto("t", "s", _fields(), 5)
    assert [t.seq for t in view.customer_turns] == [1, 3]
    assert [seq for seq, _ in view.bot_turns] == [2, 4]
    assert view.channel == "voice"
    assert ready_turn(_fields(), 3) and not ready_turn(_fields(), 5)
    assert not ready_turn(_fields(), 2)  # a bot turn is never decided on


def test_identical_turns_at_different_seqs_keep_their_own_seq() -> None:
    # Turns 1 and 3 store the same bytes: a parse remembered for one must not leak its seq.
    first = view_upto("t", "s", _fields(), 3)
    again = view_upto("t", "s", _fields(), 3)
    assert [t.seq for t in first.customer_turns] == [1, 3]
    assert [t.seq for t in again.customer_turns] == [1, 3]


def test_a_recreated_session_with_other_values_is_read_afresh() -> None:
    # After its TTL a session can come back with other content under the same field names.
    view_upto("t", "s", _fields(), 5)
    fields = _fields() | {"s:1": _sentiment(-0.8, "negative"), "s:5": _sentiment(-0.5, "negative")}
    view = view_upto("t", "s", fields, 5)
    assert [(t.seq, t.label, t.score) for t in view.customer_turns] == [
        (1, "negative", -0.8),
        (3, "neutral", 0.0),
        (5, "negative", -0.5),
    ]
    assert view.customer_turns[2].intent == "complaint"


def test_turns_of_an_earlier_episode_are_left_out() -> None:
    fields = _fields() | {"hb:3": b"1", "s:5": _sentiment(-0.5, "negative")}
    view = view_upto("t", "s", fields, 5)
    assert view.episode == 2
    assert [t.seq for t in view.customer_turns] == [5]
    assert [seq for seq, _ in view.bot_turns] == [4]


async def test_decisions_are_logged_for_explain_outside_the_sessions_hash() -> None:
    from services.escalation.explain import decision_history
    from services.escalation.handlers import handle
    from services.escalation.session import DECISION_LOG, NAMESPACE
    from shared.schemas.events import (
        Action,
        ConversationTurn,
        IntentDetected,
        Role,
        SentimentLabel,
        SentimentScored,
    )
    from shared.state.base import session_key
    from shared.state.memory import MemoryStateStore
    from tests.harness import escalation_deps

    store = MemoryStateStore()
    deps = escalation_deps(store)
    turn = ConversationTurn(
        tenant_id="t", session_id="s", seq=1, role=Role.CUSTOMER, text="I want a real person"
    )
    common = {"tenant_id": "t", "session_id": "s", "seq": 1, "turn_event_id": turn.event_id}
    out = await handle(
        [
            turn,
            IntentDetected(**common, intent="human_request", confidence=0.95, in_scope=True),
            SentimentScored(**common, score=-0.1, label=SentimentLabel.NEUTRAL),
        ],
        deps,
    )
    assert any(getattr(e, "action", None) is Action.TRANSFER for e in out)
    logged = await decision_history(store, "t", "s")
    assert [(d.seq, d.action) for d in logged] == [(1, Action.TRANSFER)]
    assert "dec:1" in await store.read(session_key("t", "s", DECISION_LOG))
    assert not any(k.startswith("dec:") for k in await store.read(session_key("t", "s", NAMESPACE)))


def test_customer_context_is_validated_once_and_follows_the_stored_value() -> None:
    from services.escalation.handlers import CRM_FIELD, _customer_context

    def stored(tier: str) -> dict[str, bytes]:
        past = {
            "session_id": "old",
            "intents": ["refund"],
            "outcome": "resolved",
            "at": "2026-11-01T10:00:00Z",
        }
        profile = {"customer_id": "c-cache", "tier": tier}
        return {CRM_FIELD: orjson.dumps({"p": profile, "h": [past]})}

    gold = _customer_context(stored("gold"))
    assert gold[0] is not None and gold[0].tier == "gold"
    assert [p.session_id for p in gold[1]] == ["old"]
    assert _customer_context(stored("gold")) is gold  # equal bytes: not validated again
    silver = _customer_context(stored("silver"))  # other bytes: read afresh
    assert silver[0] is not None and silver[0].tier == "silver"
    assert _customer_context({}) == (None, ())
