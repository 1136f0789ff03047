"""The topic map: which topic carries which events, declared once, as data."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from shared.schemas.events import (
    ConversationTurn,
    DeadLetter,
    EscalationDecided,
    HandoffPacketBuilt,
    IntentDetected,
    SentimentScored,
    SessionEnded,
    SessionResolved,
    SessionStarted,
)


@dataclass(frozen=True)
class Topic:
    name: str
    carries: tuple[type[BaseModel], ...]
    public: bool
    description: str


CONVERSATION_EVENTS = Topic(
    "baton.conversation.events",
    (ConversationTurn, SessionStarted, SessionEnded, SessionResolved),
    public=True,
    description="In: turns and session lifecycle from contact-centre platforms, keyed by session.",
)
HANDOFF_PACKETS = Topic(
    "baton.handoff.packets",
    (HandoffPacketBuilt,),
    public=True,
    description="Out: one complete handoff packet per escalation episode, for agent desktops.",
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
    description="Internal: one decision per fully analysed customer turn.",
)

ALL_TOPICS: tuple[Topic, ...] = (
    CONVERSATION_EVENTS,
    HANDOFF_PACKETS,
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
