"""Run recorded conversations through the same intent, sentiment and escalation services.

In process by default: the services' own stream apps on the in-memory bus and store, so the
outcome is exactly what the live pipeline would decide. ``replay_live`` sends them through
the running services on Kafka instead.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer

from services.escalation import app as escalation_app
from services.escalation import handlers as escalation_handlers
from services.intent import app as intent_app
from services.intent import handlers as intent_handlers
from services.nlu import catalog, entities, intent_model, sentiment_model
from services.sentiment import app as sentiment_app
from services.sentiment import handlers as sentiment_handlers
from services.traffic.conversations import RecordedConversation, to_events
from shared.bus.codec import to_message
from shared.bus.kafka import KafkaBus, partitions_of
from shared.bus.memory import MemoryBus
from shared.customers.crm import StoredCustomerDirectory, profile_from_row
from shared.customers.history import SessionHistory
from shared.policy.loader import LoadedPolicy
from shared.policy.store import PolicyStore
from shared.runtime import StreamRunner
from shared.schemas.envelope import Envelope
from shared.schemas.events import Action, ConversationTurn, EscalationDecided, Role
from shared.schemas.topics import CONVERSATION_EVENTS, DECISIONS
from shared.state.memory import MemoryStateStore

_RANK = {Action.CONTINUE: 0, Action.OFFER_HUMAN: 1, Action.TRANSFER: 2}


@dataclass
class Outcome:
    """What the pipeline decided for one recorded conversation."""

    conversation_id: str
    escalated: bool
    action: str
    reasons: list[str]
    queue: str | None
    priority: int | None
    turn: int | None = None
    evidence: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "conversation_id": self.conversation_id,
            "escalated": self.escalated,
            "action": self.action,
            "reasons": self.reasons,
            "queue": self.queue,
            "priority": self.priority,
            "turn": self.turn,
        }


def summarise(conversation_id: str, decisions: Sequence[EscalationDecided]) -> Outcome:
    """The strongest action taken, with the reasons of the decision that first took it."""
    ordered = sorted(decisions, key=lambda d: d.seq)
    if not ordered:
        return Outcome(conversation_id, False, Action.CONTINUE.value, [], None, None)
    strongest = max(ordered, key=lambda d: _RANK[d.action])
    first = next(d for d in ordered if d.action is strongest.action)
    acting = first.action is not Action.CONTINUE
    return Outcome(
        conversation_id=conversation_id,
        escalated=first.action is Action.TRANSFER,
        action=first.action.value,
        reasons=[r.code for r in first.reasons] if acting else [],
        queue=first.queue if acting else None,
        priority=first.priority if acting else None,
        turn=first.seq if acting else None,
        evidence=[r.model_dump(mode="json") for r in first.reasons] if acting else [],
    )


def _customer_turns(events: Sequence[Envelope]) -> int:
    return sum(1 for e in events if isinstance(e, ConversationTurn) and e.role is Role.CUSTOMER)


async def replay(
    conversations: Sequence[RecordedConversation], policy: LoadedPolicy, *, timeout_s: float = 300
) -> list[Outcome]:
    """Decide every conversation in process with the services' own code and this policy."""
    bus = MemoryBus()
    store = MemoryStateStore()
    directory = StoredCustomerDirectory(store)
    for conv in conversations:
        if conv.customer_id:
            await directory.load(
                conv.tenant_id,
                [profile_from_row({**conv.customer, "customer_id": conv.customer_id})],
            )
    apps = [
        intent_app.build_app(
            intent_handlers.Deps(
                model=intent_model.load_default(),
                catalog=catalog.load_catalog(),
                extract=entities.extract_entities,
            )
        ),
        sentiment_app.build_app(sentiment_handlers.Deps(model=sentiment_model.load_default())),
        escalation_app.build_app(
            escalation_handlers.Deps(
                store=store,
                ttl_seconds=3600,
                policies=PolicyStore(None, fallback=policy),
                directory=directory,
                history=SessionHistory(store),
            )
        ),
    ]
    stop = asyncio.Event()
    runners = [StreamRunner(a, bus, group_prefix="replay", timeout_ms=10) for a in apps]
    tasks = [asyncio.create_task(r.run(stop)) for r in runners]
    await asyncio.gather(*(r.ready.wait() for r in runners))
    events = {c.id: to_events(c) for c in conversations}
    expected = sum(_customer_turns(ev) for ev in events.values())
    publisher = bus.publisher(client_id="replay")
    await publisher.publish(
        [to_message(CONVERSATION_EVENTS, e) for ev in events.values() for e in ev]
    )
    sub = bus.subscription([DECISIONS.name], group="replay-reader", client_id="replay")
    await sub.start()
    decisions: dict[str, list[EscalationDecided]] = {}
    seen = 0
    deadline = time.monotonic() + timeout_s
    try:
        while seen < expected and time.monotonic() < deadline:
            for r in await sub.poll(max_records=10_000, timeout_ms=50):
                d = EscalationDecided.model_validate_json(r.value)
                decisions.setdefault(d.session_id, []).append(d)
                seen += 1
    finally:
        stop.set()
        await asyncio.gather(*tasks)
    return [summarise(c.id, decisions.get(c.id, [])) for c in conversations]


async def replay_live(
    conversations: Sequence[RecordedConversation],
    bootstrap: str,
    *,
    timeout_s: float = 120,
    topic_prefix: str = "",
) -> list[Outcome]:
    """Send the conversations through the running services and collect their decisions."""
    run = uuid.uuid4().hex[:6]
    sessions = {f"{c.id}-replay-{run}": c for c in conversations}
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False
    )
    await consumer.start()
    tps = await partitions_of(bootstrap, [topic_prefix + DECISIONS.name])
    consumer.assign(tps)
    await consumer.seek_to_end(*tps)
    for tp in tps:
        await consumer.position(tp)
    bus = KafkaBus(bootstrap, topic_prefix=topic_prefix)
    publisher = bus.publisher(client_id="baton-replay")
    await publisher.start()
    expected = 0
    try:
        for sid, conv in sessions.items():
            ev = to_events(conv, session_id=sid)
            expected += _customer_turns(ev)
            await publisher.publish([to_message(CONVERSATION_EVENTS, e) for e in ev])
    finally:
        await publisher.stop()
    decisions: dict[str, dict[int, EscalationDecided]] = {}
    deadline = time.monotonic() + timeout_s
    try:
        while sum(len(v) for v in decisions.values()) < expected and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=300)).values():
                for r in records:
                    d = EscalationDecided.model_validate_json(r.value or b"")
                    if d.session_id in sessions:
                        decisions.setdefault(d.session_id, {})[d.seq] = d
    finally:
        await consumer.stop()
    return [
        summarise(conv.id, list(decisions.get(sid, {}).values())) for sid, conv in sessions.items()
    ]


def read_file(path: Path) -> list[RecordedConversation]:
    from services.traffic.conversations import read_conversations

    return list(read_conversations(path))
