"""The topic map: which topic carries which events, declared once, as data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from shared.schemas.events import (
    BotControl,
    ConnectorDelivered,
    ConnectorFailed,
    ContextFeedback,
    ConversationTurn,
    CustomerNotice,
    DeadLetter,
    EscalationDecided,
    HandoffAccepted,
    HandoffPacketBuilt,
    HandoffReleased,
    HandoffTransferred,
    HandoffUpdated,
    IntentDetected,
    PolicyChanged,
    SentimentScored,
    SessionEnded,
    SessionHandedBack,
    SessionResolved,
    SessionStarted,
    SlaBreached,
)

Headers = tuple[tuple[str, bytes], ...]


@dataclass(frozen=True)
class Topic:
    name: str
    carries: tuple[type[BaseModel], ...]
    public: bool
    description: str
    # Kafka headers each message carries, from its event: what a consumer may act on
    # (skip, route) before decoding the value.
    headers: Callable[[Any], Headers] | None = None


# The decision's action, so the context service can pass over the decisions that do not
# hand off (most of them) without decoding them.
ACTION_HEADER = "baton-action"


def _action_header(event: BaseModel) -> Headers:
    if not isinstance(event, EscalationDecided):
        return ()
    return ((ACTION_HEADER, event.action.value.encode()),)


CONVERSATION_EVENTS = Topic(
    "baton.conversation.events",
    (ConversationTurn, SessionStarted, SessionEnded, SessionResolved, SessionHandedBack),
    public=True,
    description="In: turns and session lifecycle from contact-centre platforms, keyed by session.",
)
HANDOFF_PACKETS = Topic(
    "baton.handoff.packets",
    (HandoffPacketBuilt, HandoffUpdated),
    public=True,
    description="Out: one complete handoff packet per escalation episode, for agent desktops, "
    "then updates to it (new reasons, priority).",
)
CONTROL = Topic(
    "baton.control",
    (BotControl, CustomerNotice),
    public=True,
    description="Out: bot.pause when a human takes over, bot.resume on hand-back, and notices "
    "for the customer (expected wait, callback offer), for platforms.",
)
HANDOFF_EVENTS = Topic(
    "baton.handoff.events",
    (HandoffAccepted, HandoffReleased, HandoffTransferred, ContextFeedback, SlaBreached),
    public=True,
    description="Out: what happened to each handoff: accepted, released, transferred, SLA "
    "breached, and agents' feedback on context quality.",
)
DLQ = Topic(
    "baton.dlq",
    (DeadLetter,),
    public=True,
    description="Rejected input with the reason and the original bytes.",
)
INTENTS = Topic(
    "baton.intent.detected",
    (IntentDetected,),
    public=False,
    description="Internal: one intent per customer turn.",
)
SENTIMENTS = Topic(
    "baton.sentiment.scored",
    (SentimentScored,),
    public=False,
    description="Internal: one sentiment score per customer turn.",
)
DECISIONS = Topic(
    "baton.escalation.decided",
    (EscalationDecided,),
    public=False,
    description="Internal: one decision per fully analysed customer turn "
    f"(header `{ACTION_HEADER}`: its action).",
    headers=_action_header,
)

CONNECTOR_EVENTS = Topic(
    "baton.connector.events",
    (ConnectorDelivered, ConnectorFailed),
    public=True,
    description="Out: each step an outbound connector (Chatwoot) delivered to a desk, or failed.",
)
AUDIT = Topic(
    "baton.audit",
    (PolicyChanged,),
    public=True,
    description="Out: audit trail of policy changes (who, when, diff), keyed by tenant.",
)

ALL_TOPICS: tuple[Topic, ...] = (
    CONVERSATION_EVENTS,
    HANDOFF_PACKETS,
    CONTROL,
    HANDOFF_EVENTS,
    CONNECTOR_EVENTS,
    AUDIT,
    DLQ,
    INTENTS,
    SENTIMENTS,
    DECISIONS,
)


_TOPIC_OF: dict[type[BaseModel], Topic] = {
    model: topic for topic in ALL_TOPICS for model in topic.carries
}


def topic_for(event: BaseModel) -> Topic:
    """Return the one topic an event of this type is published on."""
    return _TOPIC_OF[type(event)]
