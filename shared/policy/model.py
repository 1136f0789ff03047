"""The policy file's schema: every trigger, its thresholds, routing and SLA targets."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ActionName = Literal["continue", "offer_human", "transfer"]
TopicName = Literal["fraud", "security", "billing_dispute", "legal", "health"]
ChannelName = Literal["chat", "voice", "messaging", "email"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Trigger(_Strict):
    enabled: bool = True
    action: ActionName = "transfer"


class ExplicitRequest(Trigger):
    min_confidence: float = Field(default=0.5, ge=0, le=1)
    phrases: list[str] = Field(
        default_factory=lambda: ["talk to a human", "speak to someone", "real person"],
        description="Extra phrases, matched case-insensitively, besides the built-in grammar.",
    )


class Misunderstood(Trigger):
    turns: int = Field(default=2, ge=1, description="Out-of-scope or low-confidence turns.")
    min_confidence: float = Field(default=0.4, ge=0, le=1)
    offer_at: int | None = Field(default=None, ge=1, description="Offer a human at this count.")


class NoProgress(Trigger):
    bot_repeats: int = Field(default=2, ge=1, description="Bot sends the same answer again.")
    same_intent_turns: int = Field(default=3, ge=2, description="Customer asks the same again.")
    bot_turns_without_resolution: int = Field(default=8, ge=1)


class NegativeSentiment(Trigger):
    turns: int = Field(default=2, ge=1, description="Negative customer turns in the episode.")
    score_threshold: float = Field(
        default=-0.75, ge=-1, le=0, description="One very negative turn."
    )
    worsening_slope: float = Field(default=-0.3, le=0, description="Score drop per turn.")
    worsening_min_turns: int = Field(default=3, ge=2)
    offer_at: int | None = Field(default=1, ge=1)


class Frustration(Trigger):
    keywords: list[str] = Field(
        default_factory=lambda: ["frustrated", "urgent", "complaint", "fed up", "unacceptable"]
    )
    offer_on_cue: bool = Field(
        default=True, description="Shouting etc. alone: offer, not transfer."
    )


class RepeatContact(Trigger):
    phrases: list[str] = Field(
        default_factory=lambda: [
            "third time",
            "second time",
            "called before",
            "contacted you before",
            "already told you",
            "again and again",
            "keep contacting",
        ]
    )
    history_days: int = Field(default=7, ge=1)


class TopicRoute(_Strict):
    queue: str
    priority: int = Field(default=2, ge=1, le=5)


def _default_topics() -> dict[TopicName, TopicRoute]:
    return {
        "fraud": TopicRoute(queue="fraud", priority=1),
        "security": TopicRoute(queue="security", priority=1),
        "billing_dispute": TopicRoute(queue="billing_disputes", priority=2),
        "legal": TopicRoute(queue="legal", priority=2),
        "health": TopicRoute(queue="health", priority=2),
    }


def _default_sla() -> dict[ChannelName, int]:
    return {"voice": 30, "chat": 120, "messaging": 900, "email": 14400}


class SensitiveTopic(Trigger):
    topics: dict[TopicName, TopicRoute] = Field(default_factory=lambda: _default_topics())
    min_confidence: float = Field(default=0.5, ge=0, le=1)


class AmountThreshold(Trigger):
    limit: float = Field(default=500.0, gt=0)
    currency: str = Field(default="USD", min_length=3, max_length=3)
    context_intents: list[str] = Field(
        default_factory=lambda: [
            "billing_dispute",
            "payment_problem",
            "fraud_unauthorized",
            "returns_refunds",
            "billing_question",
        ],
        description="Only amounts in payment or dispute context count.",
    )
    queue: str = "payments"


class Vip(Trigger):
    action: ActionName = "continue"
    tiers: list[str] = Field(default_factory=lambda: ["gold", "platinum", "vip"])
    min_lifetime_value: float | None = Field(default=5000.0, ge=0)
    priority_boost: int = Field(default=1, ge=0, le=4)
    queue: str | None = Field(default="priority", description="Specialist team for VIPs.")


class Triggers(_Strict):
    explicit_request: ExplicitRequest = ExplicitRequest()
    misunderstood: Misunderstood = Misunderstood()
    no_progress: NoProgress = NoProgress()
    negative_sentiment: NegativeSentiment = NegativeSentiment()
    frustration: Frustration = Frustration()
    repeat_contact: RepeatContact = RepeatContact(action="transfer")
    sensitive_topic: SensitiveTopic = SensitiveTopic()
    amount_threshold: AmountThreshold = AmountThreshold()
    vip: Vip = Vip()


class Routing(_Strict):
    default_queue: str = "general"
    priorities: dict[str, int] = Field(
        default_factory=lambda: {
            "explicit_request": 3,
            "misunderstood": 3,
            "no_progress": 3,
            "negative_sentiment": 2,
            "frustration": 2,
            "repeat_contact": 2,
            "amount_threshold": 2,
        }
    )


PiiKind = Literal["card_number", "ssn", "email", "phone", "iban", "ip_address"]


def _all_pii() -> list[PiiKind]:
    return ["card_number", "ssn", "email", "phone", "iban", "ip_address"]


def _always_pii() -> list[PiiKind]:
    return ["card_number", "ssn", "iban"]


class PiiPolicy(_Strict):
    """What is redacted from handoff packets (logs are always redacted)."""

    enabled: bool = True
    kinds: list[PiiKind] = Field(default_factory=_all_pii)
    always: list[PiiKind] = Field(
        default_factory=_always_pii,
        description="Redacted even when the customer consented to sharing their details.",
    )
    consent_key: str = Field(
        default="pii_consent", description="Turn or session metadata key carrying consent."
    )


class Policy(_Strict):
    """One tenant's escalation policy."""

    version: str = Field(min_length=1, max_length=100)
    tenant: str = "*"
    description: str = ""
    triggers: Triggers = Triggers()
    routing: Routing = Routing()
    sla_seconds: dict[ChannelName, int] = Field(default_factory=lambda: _default_sla())
    pii: PiiPolicy = PiiPolicy()
    near_miss_margin: float = Field(
        default=0.2, ge=0, le=1, description="How close (fraction) counts as a near miss."
    )
