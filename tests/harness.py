"""Run the four services in one event loop on any bus and store, and watch what comes out.

The same scenarios run on the in-memory doubles (unit) and on real Kafka and Redis
(integration), so both adapters are held to one behaviour.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter

from services.context import app as context_app
from services.context import handlers as context_handlers
from services.escalation import app as escalation_app
from services.escalation import handlers as escalation_handlers
from services.intent import app as intent_app
from services.intent import handlers as intent_handlers
from services.sentiment import app as sentiment_app
from services.sentiment import handlers as sentiment_handlers
from shared.bus.base import Bus, Message
from shared.bus.codec import to_message
from shared.customers.crm import CustomerDirectory, StoredCustomerDirectory
from shared.customers.history import SessionHistory
from shared.policy.store import PolicyStore
from shared.runtime import StreamRunner
from shared.schemas.envelope import Envelope
from shared.schemas.events import (
    BotControl,
    DeadLetter,
    EscalationDecided,
    HandoffPacketBuilt,
    HandoffUpdated,
)
from shared.schemas.topics import CONTROL, CONVERSATION_EVENTS, DECISIONS, DLQ, HANDOFF_PACKETS
from shared.state.base import StateStore


@dataclass
class Models:
    intents: Any
    catalog: Any
    entities: Any
    sentiment: Any


def escalation_deps(
    store: StateStore, *, policies: PolicyStore | None = None, ttl_seconds: int = 60
) -> escalation_handlers.Deps:
    """The escalation service's dependencies on one store (customers and history in it)."""
    return escalation_handlers.Deps(
        store=store,
        ttl_seconds=ttl_seconds,
        policies=policies or PolicyStore(None),
        directory=StoredCustomerDirectory(store),
        history=SessionHistory(store),
    )


@dataclass
class Pipeline:
    bus: Bus
    store: StateStore
    models: Models
    group_prefix: str
    max_wait_seconds: float = 2.0
    directory: CustomerDirectory | None = None
    runners: list[StreamRunner] = field(default_factory=list)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    def build(self, only: Sequence[str] = ("intent", "sentiment", "escalation", "context")) -> None:
        m = self.models
        apps = {
            "intent": intent_app.build_app(
                intent_handlers.Deps(model=m.intents, catalog=m.catalog, extract=m.entities)
            ),
            "sentiment": sentiment_app.build_app(sentiment_handlers.Deps(model=m.sentiment)),
            "escalation": escalation_app.build_app(escalation_deps(self.store, ttl_seconds=3600)),
            "context": context_app.build_app(
                context_handlers.Deps(
                    store=self.store,
                    directory=self.directory or StoredCustomerDirectory(self.store),
                    history=SessionHistory(self.store),
                    policies=PolicyStore(None),
                    ttl_seconds=3600,
                    max_wait_seconds=self.max_wait_seconds,
                    pending_queue=f"{self.group_prefix}:pending",
                    outbox_queue=f"{self.group_prefix}:outbox",
                )
            ),
        }
        self.runners = [
            StreamRunner(apps[name], self.bus, group_prefix=self.group_prefix, timeout_ms=20)
            for name in only
        ]

    async def start(self) -> None:
        self._stop.clear()
        self._tasks = [asyncio.create_task(r.run(self._stop)) for r in self.runners]
        await asyncio.wait_for(asyncio.gather(*(r.ready.wait() for r in self.runners)), 60)

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks)
        self._tasks = []


class Watcher:
    """Read the output topics from their start and index what arrived by session."""

    def __init__(self, bus: Bus, group: str) -> None:
        self._sub = bus.subscription(
            [HANDOFF_PACKETS.name, DECISIONS.name, DLQ.name, CONTROL.name],
            group=group,
            client_id=group,
        )
        self.packets: list[HandoffPacketBuilt] = []
        self.decisions: list[EscalationDecided] = []
        self.dead: list[DeadLetter] = []
        self.updates: list[HandoffUpdated] = []
        self.controls: list[BotControl] = []
        self._packet = TypeAdapter(HandoffPacketBuilt)

    async def start(self) -> None:
        await self._sub.start()

    async def stop(self) -> None:
        await self._sub.stop()

    async def pump(self, timeout_ms: int = 50) -> None:
        for r in await self._sub.poll(max_records=5000, timeout_ms=timeout_ms):
            if r.topic == HANDOFF_PACKETS.name:
                if b'"handoff.updated"' in r.value:
                    self.updates.append(HandoffUpdated.model_validate_json(r.value))
                else:
                    self.packets.append(HandoffPacketBuilt.model_validate_json(r.value))
            elif r.topic == CONTROL.name:
                self.controls.append(BotControl.model_validate_json(r.value))
            elif r.topic == DECISIONS.name:
                self.decisions.append(EscalationDecided.model_validate_json(r.value))
            else:
                self.dead.append(DeadLetter.model_validate_json(r.value))

    def packets_for(self, session_id: str) -> list[HandoffPacketBuilt]:
        return [p for p in self.packets if p.session_id == session_id]

    def decisions_for(self, session_id: str) -> list[EscalationDecided]:
        return [d for d in self.decisions if d.session_id == session_id]

    async def until(self, condition: Any, timeout: float = 20.0) -> bool:
        """Pump until ``condition()`` is true or the timeout passes; return the condition."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return True
            await self.pump()
        return bool(condition())

    async def settle(self, seconds: float) -> None:
        """Keep reading for a while, to catch anything that should not arrive."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            await self.pump()


async def send(bus: Bus, events: Sequence[Envelope], *, raw: Sequence[bytes] = ()) -> None:
    pub = bus.publisher(client_id="test-sender")
    await pub.start()
    try:
        msgs = [to_message(CONVERSATION_EVENTS, e) for e in events]
        msgs += [Message(CONVERSATION_EVENTS.name, b"raw", r) for r in raw]
        await pub.publish(msgs)
    finally:
        await pub.stop()


async def publish_to(bus: Bus, messages: Sequence[Message]) -> None:
    pub = bus.publisher(client_id="test-sender")
    await pub.start()
    try:
        await pub.publish(messages)
    finally:
        await pub.stop()
