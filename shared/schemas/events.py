"""Every event Baton reads or writes, in one place (schema version 1).

Event names are past tense; ``event_type`` is the discriminator on the wire.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.schemas.envelope import Envelope, Identifier, utcnow

JsonScalar = str | int | float | bool | None


class Role(StrEnum):
    CUSTOMER = "customer"
    BOT = "bot"
    AGENT = "agent"
    SYSTEM = "system"


class Channel(StrEnum):
    CHAT = "chat"
    VOICE = "voice"
    MESSAGING = "messaging"
    EMAIL = "email"


class Action(StrEnum):
    CONTINUE = "continue"
    OFFER_HUMAN = "offer_human"
    TRANSFER = "transfer"


class SentimentLabel(StrEnum):
    NEGATIVE = "negative"
    NEUTRAL = "neutral"
    POSITIVE = "positive"


class _Part(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


# --- inbound: baton.conversation.events -------------------------------------------------------


class ConversationTurn(Envelope):
    """One message in the conversation, from the customer, the bot, an agent or the system."""

    event_type: Literal["conversation.turn"] = "conversation.turn"
    seq: int = Field(ge=1, description="1 for the session's first turn, then +1 per turn.")
    role: Role
    text: str = Field(max_length=20_000)
    channel: Channel = Channel.CHAT
    customer_id: Identifier | None = None
    language: str | None = None
    metadata: dict[str, JsonScalar] = Field(default_factory=dict)


class SessionStarted(Envelope):
    """The platform opened a session."""

    event_type: Literal["session.started"] = "session.started"
    channel: Channel = Channel.CHAT
    customer_id: Identifier | None = None
    metadata: dict[str, JsonScalar] = Field(default_factory=dict)


class SessionEnded(Envelope):
    """The session closed without a confirmed resolution (abandoned, timed out, closed)."""

    event_type: Literal["session.ended"] = "session.ended"
    reason: str = "closed"


class SessionResolved(Envelope):
    """The customer's issue was resolved, by the bot or by an agent."""

    event_type: Literal["session.resolved"] = "session.resolved"
    resolved_by: Role = Role.BOT


class SessionHandedBack(Envelope):
    """An agent returned the session to the bot; later turns start a new escalation episode.

    ``seq`` is the last turn of the human-owned episode.
    """

    event_type: Literal["session.handed_back"] = "session.handed_back"
    agent_id: str | None = None
    note: str | None = None


ConversationEvent = Annotated[
    ConversationTurn | SessionStarted | SessionEnded | SessionResolved | SessionHandedBack,
    Field(discriminator="event_type"),
]


# --- analyses ----------------------------------------------------------------------------------


class Entity(_Part):
    """A fact found in a customer's words: an amount, an order number, a date, an email..."""

    kind: str
    value: str
    text: str
    currency: str | None = None
    amount: float | None = None


class IntentScore(_Part):
    intent: str
    confidence: float = Field(ge=0.0, le=1.0)


class IntentDetected(Envelope):
    """What the customer wants in one turn, and whether the bot's model understood it at all."""

    event_type: Literal["intent.detected"] = "intent.detected"
    producer: str = "intent"
    turn_event_id: str
    intent: str
    confidence: float = Field(ge=0.0, le=1.0)
    in_scope: bool
    tier: str = "routine"
    topic: str | None = None
    alternatives: list[IntentScore] = Field(default_factory=list)
    entities: list[Entity] = Field(default_factory=list)
    model: str = "unknown"


class SentimentScored(Envelope):
    """How the customer feels in one turn, with the cues that were found."""

    event_type: Literal["sentiment.scored"] = "sentiment.scored"
    producer: str = "sentiment"
    turn_event_id: str
    score: float = Field(ge=-1.0, le=1.0)
    label: SentimentLabel
    frustration: bool = False
    urgency: bool = False
    cues: list[str] = Field(default_factory=list)
    model: str = "unknown"


# --- decisions ---------------------------------------------------------------------------------


class Reason(_Part):
    """One rule that fired, with the evidence that made it fire."""

    code: str
    detail: str
    turns: list[int] = Field(default_factory=list)
    evidence: dict[str, JsonScalar | list[JsonScalar]] = Field(default_factory=dict)


class EscalationDecided(Envelope):
    """The decision taken after a customer turn was fully analysed, and why."""

    event_type: Literal["escalation.decided"] = "escalation.decided"
    producer: str = "escalation"
    action: Action
    reasons: list[Reason] = Field(default_factory=list)
    priority: int = Field(default=3, ge=1, le=5, description="1 is most urgent.")
    queue: str = "general"
    episode: int = Field(default=1, ge=1)
    update: bool = Field(
        default=False, description="A later trigger in an episode already handed off."
    )
    near_misses: list[Reason] = Field(default_factory=list)
    sla_seconds: int | None = None
    channel: Channel = Channel.CHAT
    customer_id: str | None = None
    policy_version: str = "builtin-1"
    policy_hash: str | None = None

    @property
    def escalates(self) -> bool:
        return self.action is Action.TRANSFER


class BotControl(Envelope):
    """Tells the platform's bot to stop replying (a human owns the conversation) or resume."""

    event_type: Literal["bot.control"] = "bot.control"
    producer: str = "escalation"
    command: Literal["bot.pause", "bot.resume"]
    episode: int = Field(ge=1)
    reason: str


class PolicyChanged(Envelope):
    """Audit record of a policy change: who, when, from which version to which, and the diff."""

    event_type: Literal["policy.changed"] = "policy.changed"
    producer: str = "escalation"
    old_version: str | None = None
    new_version: str
    old_hash: str | None = None
    new_hash: str
    changed_by: str
    diff: str


# --- handoff packet (outbound: baton.handoff.packets) ------------------------------------------


class TranscriptLine(_Part):
    seq: int
    role: Role
    text: str
    at: datetime


class TurnIntent(_Part):
    seq: int
    intent: str
    confidence: float
    in_scope: bool
    tier: str
    topic: str | None = None


class TurnSentiment(_Part):
    seq: int
    score: float
    label: SentimentLabel
    frustration: bool = False
    urgency: bool = False


class SentimentTrajectory(_Part):
    """The direction the customer's mood is taking over the conversation."""

    points: list[TurnSentiment] = Field(default_factory=list)
    latest: float | None = None
    mean: float | None = None
    trend: float = Field(default=0.0, description="Least-squares slope of score per turn.")
    consecutive_negative: int = 0
    worsening: bool = False


class Fact(_Part):
    """Something the customer already told the bot, so the agent never asks again."""

    kind: str
    value: str
    seq: int
    text: str


class CustomerProfile(_Part):
    customer_id: str
    name: str | None = None
    tier: str | None = None
    lifetime_value: float | None = None
    attributes: dict[str, JsonScalar] = Field(default_factory=dict)


class PastSession(_Part):
    session_id: str
    intents: list[str] = Field(default_factory=list)
    outcome: str
    at: datetime


class HandoffPacketBuilt(Envelope):
    """Everything an agent needs to take over without asking the customer to repeat anything."""

    event_type: Literal["handoff.packet"] = "handoff.packet"
    producer: str = "context"
    packet_id: str
    episode: int = Field(ge=1)
    decided_seq: int
    action: Action = Action.TRANSFER
    reasons: list[Reason]
    priority: int = Field(ge=1, le=5)
    queue: str
    channel: Channel
    summary: str
    transcript: list[TranscriptLine]
    intents: list[TurnIntent]
    sentiment: SentimentTrajectory
    facts: list[Fact]
    customer: CustomerProfile | None = None
    history: list[PastSession] = Field(default_factory=list)
    repeat_contact: bool = False
    complete: bool = True
    missing: list[str] = Field(default_factory=list, description="Analyses still absent at build.")
    sla_seconds: int | None = Field(default=None, description="Target time to answer.")
    policy_version: str = "builtin-1"
    policy_hash: str | None = None
    built_at: datetime = Field(default_factory=utcnow)


class HandoffUpdated(Envelope):
    """A later trigger in an episode already handed off: new reasons or priority, same packet."""

    event_type: Literal["handoff.updated"] = "handoff.updated"
    producer: str = "context"
    packet_id: str
    episode: int = Field(ge=1)
    decided_seq: int
    reasons: list[Reason]
    priority: int = Field(ge=1, le=5)
    queue: str
    policy_version: str = "builtin-1"


# --- agent desktop and SLA (baton.handoff.events, baton.control) -------------------------------


class HandoffAccepted(Envelope):
    """An agent took the handoff: the SLA clock stops."""

    event_type: Literal["handoff.accepted"] = "handoff.accepted"
    producer: str = "desk"
    packet_id: str
    agent_id: str
    queue: str
    wait_seconds: float = Field(ge=0, description="From packet to acceptance.")
    within_sla: bool


class HandoffReleased(Envelope):
    """An agent gave the handoff back to the queue."""

    event_type: Literal["handoff.released"] = "handoff.released"
    producer: str = "desk"
    packet_id: str
    agent_id: str
    queue: str


class HandoffTransferred(Envelope):
    """An agent moved the handoff to another queue."""

    event_type: Literal["handoff.transferred"] = "handoff.transferred"
    producer: str = "desk"
    packet_id: str
    agent_id: str
    from_queue: str
    to_queue: str


class ContextFeedback(Envelope):
    """The agent's rating of the packet and the facts they still had to ask for."""

    event_type: Literal["context.feedback"] = "context.feedback"
    producer: str = "desk"
    packet_id: str
    agent_id: str
    rating: int = Field(ge=1, le=5)
    missing_facts: list[str] = Field(default_factory=list)
    comment: str | None = Field(default=None, max_length=2000)


class SlaBreached(Envelope):
    """Nobody accepted in time: priority raised and the handoff re-routed to overflow."""

    event_type: Literal["handoff.sla_breached"] = "handoff.sla_breached"
    producer: str = "desk"
    packet_id: str
    sla_seconds: int
    waited_seconds: float
    from_queue: str
    to_queue: str
    priority: int = Field(ge=1, le=5)


class CustomerNotice(Envelope):
    """A message for the platform to show the customer so a handoff never fails silently."""

    event_type: Literal["customer.notice"] = "customer.notice"
    producer: str = "desk"
    packet_id: str
    text: str
    expected_wait_seconds: int | None = None
    offer_callback: bool = False


# --- outbound connectors (baton.connector.events) ----------------------------------------------

ConnectorStep = Literal["note", "assign", "open", "reassign"]


class ConnectorDelivered(Envelope):
    """One step of a handoff reached the agent desktop (note posted, team assigned, opened)."""

    event_type: Literal["connector.delivered"] = "connector.delivered"
    producer: str = "chatwoot"
    connector: str = "chatwoot"
    step: ConnectorStep
    packet_id: str
    cause_event_id: str = Field(description="The packet or update this step carried out.")
    target: str = Field(description="Where it was written, e.g. chatwoot:{account}:{conversation}.")
    attempts: int = Field(ge=1)
    status_code: int | None = None
    reference: str | None = Field(default=None, description="The desk's id, e.g. message:123.")


class ConnectorFailed(Envelope):
    """One step of a handoff could not be delivered; the agent desktop does not show it."""

    event_type: Literal["connector.failed"] = "connector.failed"
    producer: str = "chatwoot"
    connector: str = "chatwoot"
    step: ConnectorStep
    packet_id: str
    cause_event_id: str
    target: str | None = None
    attempts: int = Field(ge=0, description="0 when the step was refused before any request.")
    status_code: int | None = None
    retryable: bool = Field(description="True if the error was transient but attempts ran out.")
    error: str


# --- dead letters (baton.dlq) ------------------------------------------------------------------


class DeadLetter(BaseModel):
    """Input Baton could not use, with the reason and the original bytes (base64)."""

    model_config = ConfigDict(frozen=True)

    event_type: Literal["dead.letter"] = "dead.letter"
    reason: str
    error: str
    service: str
    source_topic: str
    partition: int | None = None
    offset: int | None = None
    key: str | None = None
    original_b64: str
    received_at: datetime = Field(default_factory=utcnow)


ALL_EVENTS: tuple[type[BaseModel], ...] = (
    ConversationTurn,
    SessionStarted,
    SessionEnded,
    SessionResolved,
    SessionHandedBack,
    IntentDetected,
    SentimentScored,
    EscalationDecided,
    BotControl,
    PolicyChanged,
    HandoffPacketBuilt,
    HandoffUpdated,
    HandoffAccepted,
    HandoffReleased,
    HandoffTransferred,
    ContextFeedback,
    SlaBreached,
    CustomerNotice,
    ConnectorDelivered,
    ConnectorFailed,
    DeadLetter,
)
