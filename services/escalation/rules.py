"""First escalation rules: each is a plain function of the session view returning a reason.

The policy-as-code issue replaces the constants below with a per-tenant YAML policy; the
rule functions and reason codes stay.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from services.escalation.session import SessionView
from shared.schemas.events import Action, Reason

HUMAN_INTENT = "human_request"
SENSITIVE_TOPICS = ("fraud", "security", "billing_dispute", "legal", "health")

# "talk to a person", "get me an agent", "real human please" -- but not "human resources".
_HUMAN_WORDS = (
    r"(?:human(?!\s+resources)|person|agent|representative|rep|operator"
    r"|manager|supervisor|someone|somebody)"
)
_EXPLICIT = re.compile(
    rf"\b(?:(?:talk|speak|chat)\s+(?:to|with)\s+(?:a|an|the|your|some)?\s*(?:real|live|actual)?\s*{_HUMAN_WORDS}"
    rf"|(?:want|need|get\s+me|give\s+me|connect\s+me\s+(?:to|with)|transfer\s+me\s+to)\s+(?:a|an|the|your)?\s*(?:real|live|actual)?\s*{_HUMAN_WORDS}"
    rf"|(?:real|live|actual)\s+{_HUMAN_WORDS})\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Limits:
    """Thresholds of the built-in rules."""

    misunderstood_turns: int = 2
    negative_turns: int = 2
    human_intent_confidence: float = 0.5


Rule = Callable[[SessionView, Limits], Reason | None]


def explicit_request(view: SessionView, limits: Limits) -> Reason | None:
    """Always honour a customer asking for a person."""
    for t in view.customer_turns:
        by_intent = t.intent == HUMAN_INTENT and t.confidence >= limits.human_intent_confidence
        match = _EXPLICIT.search(t.text)
        if by_intent or match:
            return Reason(
                code="explicit_request",
                detail=f"customer asked for a person in turn {t.seq}",
                turns=[t.seq],
                evidence={
                    "intent": t.intent,
                    "confidence": round(t.confidence, 3),
                    "matched": match.group(0) if match else None,
                },
            )
    return None


def misunderstood(view: SessionView, limits: Limits) -> Reason | None:
    """Hand off when the bot failed to understand the customer repeatedly."""
    missed = [t.seq for t in view.customer_turns if not t.in_scope]
    if len(missed) >= limits.misunderstood_turns:
        return Reason(
            code="misunderstood",
            detail=f"{len(missed)} turns not understood (limit {limits.misunderstood_turns})",
            turns=missed,
            evidence={"count": len(missed), "limit": limits.misunderstood_turns},
        )
    return None


def negative_sentiment(view: SessionView, limits: Limits) -> Reason | None:
    """Hand off when the customer has been negative repeatedly."""
    negative = [t for t in view.customer_turns if t.label == "negative"]
    if len(negative) >= limits.negative_turns:
        return Reason(
            code="negative_sentiment",
            detail=f"{len(negative)} negative turns (limit {limits.negative_turns})",
            turns=[t.seq for t in negative],
            evidence={"scores": [round(t.score, 3) for t in negative]},
        )
    return None


def sensitive_topic(view: SessionView, limits: Limits) -> Reason | None:
    """Route fraud, security, disputes, legal and health matters to specialists."""
    for t in view.customer_turns:
        if t.topic in SENSITIVE_TOPICS and t.in_scope:
            return Reason(
                code="sensitive_topic",
                detail=f"{t.topic} raised in turn {t.seq} ({t.intent})",
                turns=[t.seq],
                evidence={
                    "topic": t.topic,
                    "intent": t.intent,
                    "confidence": round(t.confidence, 3),
                },
            )
    return None


RULES: tuple[Rule, ...] = (explicit_request, sensitive_topic, misunderstood, negative_sentiment)

PRIORITY = {
    "sensitive_topic": 2,
    "negative_sentiment": 2,
    "explicit_request": 3,
    "misunderstood": 3,
}
TOPIC_PRIORITY = {"fraud": 1, "security": 1}


@dataclass(frozen=True)
class Outcome:
    action: Action
    reasons: tuple[Reason, ...]
    priority: int
    queue: str


def decide(view: SessionView, limits: Limits | None = None) -> Outcome:
    """Run every rule; any that fires means transfer, and all that fired are reported."""
    limits = limits or Limits()
    reasons = tuple(r for rule in RULES if (r := rule(view, limits)) is not None)
    if not reasons:
        return Outcome(Action.CONTINUE, (), 4, "bot")
    topic = next((str(r.evidence["topic"]) for r in reasons if r.code == "sensitive_topic"), None)
    priority = min(PRIORITY.get(r.code, 3) for r in reasons)
    if topic is not None:
        priority = min(priority, TOPIC_PRIORITY.get(topic, priority))
    return Outcome(Action.TRANSFER, reasons, priority, topic or "general")
