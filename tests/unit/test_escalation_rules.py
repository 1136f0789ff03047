"""The first escalation rules, on hand-built session views."""

from __future__ import annotations

import pytest

from services.escalation.rules import Limits, decide
from services.escalation.session import SessionView, TurnView
from shared.schemas.events import Action


def turn(seq: int, text: str = "hello", **kw: object) -> TurnView:
    base: dict[str, object] = {
        "seq": seq,
        "text": text,
        "intent": "order_status",
        "confidence": 0.9,
        "in_scope": True,
        "tier": "routine",
        "topic": None,
        "score": 0.1,
        "label": "neutral",
        "frustration": False,
        "urgency": False,
        "cues": (),
        "entities": (),
    }
    base.update(kw)
    return TurnView(**base)  # type: ignore[arg-type]


def view(*turns: TurnView) -> SessionView:
    return SessionView("t", "s", turns[-1].seq, "chat", None, tuple(turns))


@pytest.mark.parametrize(
    ("text", "intent", "escalates"),
    [
        ("I want to talk to a real person", "order_status", True),
        ("can I speak with an agent please", "order_status", True),
        ("get me a human", "order_status", True),
        ("anything", "human_request", True),
        ("what is the human resources phone number", "product_question", False),
        ("my order has not arrived", "order_status", False),
    ],
)
def test_explicit_request(text: str, intent: str, escalates: bool) -> None:
    outcome = decide(view(turn(1, text, intent=intent)))
    assert (outcome.action is Action.TRANSFER) is escalates
    if escalates:
        assert outcome.reasons[0].code == "explicit_request"
        assert outcome.reasons[0].turns == [1]


def test_two_misunderstood_turns_escalate_one_does_not() -> None:
    one = view(turn(1, in_scope=False), turn(2))
    two = view(turn(1, in_scope=False), turn(2), turn(3, in_scope=False))
    assert decide(one).action is Action.CONTINUE
    outcome = decide(two)
    assert outcome.action is Action.TRANSFER
    assert outcome.reasons[0].code == "misunderstood"
    assert outcome.reasons[0].turns == [1, 3]


def test_negative_turns_threshold_is_configurable() -> None:
    v = view(turn(1, label="negative", score=-0.6), turn(2, label="negative", score=-0.7))
    assert decide(v).reasons[0].code == "negative_sentiment"
    assert decide(v, Limits(negative_turns=3)).action is Action.CONTINUE


def test_sensitive_topic_routes_to_specialist_queue_with_top_priority() -> None:
    outcome = decide(view(turn(1, intent="fraud_unauthorized", topic="fraud", tier="sensitive")))
    assert outcome.action is Action.TRANSFER
    assert outcome.queue == "fraud"
    assert outcome.priority == 1


def test_every_rule_that_fires_is_reported() -> None:
    v = view(
        turn(1, "this is fraud", topic="fraud", label="negative", score=-0.8),
        turn(2, "let me talk to a person", label="negative", score=-0.9),
    )
    codes = {r.code for r in decide(v).reasons}
    assert codes == {"explicit_request", "sensitive_topic", "negative_sentiment"}
