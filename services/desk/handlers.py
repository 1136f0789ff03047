"""Desk logic: new packets reach agents; accept, release, transfer, feedback; SLA breaches.

Every function returns the events to publish; the HTTP and Kafka edges only call them.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from services.desk.hub import Hub
from services.desk.queue import DeskItem, DeskQueue
from services.desk.tokens import Agent
from shared.schemas.envelope import Envelope, derived_id
from shared.schemas.events import (
    ContextFeedback,
    CustomerNotice,
    HandoffAccepted,
    HandoffPacketBuilt,
    HandoffReleased,
    HandoffTransferred,
    HandoffUpdated,
    SlaBreached,
)
from shared.state.base import StateStore


class DeskError(Exception):
    """A desk action that cannot be done, with the HTTP status that says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Deps:
    store: StateStore
    queue: DeskQueue
    hub: Hub
    overflow_suffix: str = "-overflow"
    callback_after_seconds: int = 300


def view(item: DeskItem) -> dict[str, Any]:
    """What a desktop receives for one handoff."""
    return {
        "packet": item.packet.model_dump(mode="json"),
        "status": item.status,
        "queue": item.queue,
        "priority": item.priority,
        "agent_id": item.agent_id,
        "received_at": item.received_at,
        "sla_seconds": item.sla_seconds,
        "breached": item.breached,
        "updates": [u.model_dump(mode="json") for u in item.updates],
    }


def _about(item: DeskItem) -> dict[str, Any]:
    """The envelope fields every event about this handoff shares."""
    return {
        "tenant_id": item.packet.tenant_id,
        "session_id": item.packet.session_id,
        "seq": item.packet.decided_seq,
        "packet_id": item.packet_id,
    }


def _notify(deps: Deps, kind: str, item: DeskItem) -> None:
    deps.hub.publish(item.packet.tenant_id, item.queue, {"type": kind, "item": view(item)})


async def on_packets(events: Sequence[Envelope], deps: Deps) -> list[Envelope]:
    """Queue new packets and push them to connected agents; apply updates to open ones."""
    for e in events:
        if isinstance(e, HandoffPacketBuilt):
            item = await deps.queue.add(e)
            if item is not None:
                _notify(deps, "packet", item)
        elif isinstance(e, HandoffUpdated):
            existing = await deps.queue.get(e.tenant_id, e.packet_id)
            if existing is None or any(u.event_id == e.event_id for u in existing.updates):
                continue
            existing.updates.append(e)
            existing.priority = min(existing.priority, e.priority)
            await deps.queue.put(existing)
            _notify(deps, "update", existing)
    return []


async def _owned(deps: Deps, agent: Agent, packet_id: str) -> DeskItem:
    item = await deps.queue.get(agent.tenant_id, packet_id)
    if item is None:
        raise DeskError(404, f"no handoff {packet_id} for tenant {agent.tenant_id}")
    if not agent.serves(item.queue) and item.agent_id != agent.agent_id:
        raise DeskError(403, f"agent {agent.agent_id} does not serve queue {item.queue}")
    return item


async def accept(
    deps: Deps, agent: Agent, packet_id: str, *, now: float | None = None
) -> list[Envelope]:
    item = await _owned(deps, agent, packet_id)
    if item.status == "accepted":
        raise DeskError(409, f"already accepted by {item.agent_id}")
    if not await deps.queue.accept(item, agent.agent_id):
        raise DeskError(409, "another agent accepted it first")
    waited = max(0.0, (now or time.time()) - item.received_at)
    _notify(deps, "accepted", item)
    return [
        HandoffAccepted(
            event_id=derived_id(packet_id, item.generation, "accepted"),
            **_about(item),
            agent_id=agent.agent_id,
            queue=item.queue,
            wait_seconds=round(waited, 3),
            within_sla=waited <= item.sla_seconds,
        )
    ]


async def release(deps: Deps, agent: Agent, packet_id: str) -> list[Envelope]:
    item = await _owned(deps, agent, packet_id)
    if item.status != "accepted" or item.agent_id != agent.agent_id:
        raise DeskError(409, "only the agent who accepted a handoff can release it")
    await deps.queue.release(item)
    _notify(deps, "released", item)
    return [
        HandoffReleased(
            **_about(item),
            agent_id=agent.agent_id,
            queue=item.queue,
        )
    ]


async def transfer(deps: Deps, agent: Agent, packet_id: str, to_queue: str) -> list[Envelope]:
    item = await _owned(deps, agent, packet_id)
    if not to_queue.strip():
        raise DeskError(422, "to_queue must not be empty")
    from_queue = item.queue
    if item.status == "accepted":
        await deps.queue.release(item)
    item.queue = to_queue
    await deps.queue.put(item)
    deps.hub.publish(agent.tenant_id, from_queue, {"type": "removed", "packet_id": packet_id})
    _notify(deps, "packet", item)
    return [
        HandoffTransferred(
            **_about(item),
            agent_id=agent.agent_id,
            from_queue=from_queue,
            to_queue=to_queue,
        )
    ]


async def feedback(
    deps: Deps,
    agent: Agent,
    packet_id: str,
    *,
    rating: int,
    missing: list[str],
    comment: str | None,
) -> list[Envelope]:
    item = await _owned(deps, agent, packet_id)
    return [
        ContextFeedback(
            **_about(item),
            agent_id=agent.agent_id,
            rating=rating,
            missing_facts=missing,
            comment=comment,
        )
    ]


async def check_sla(deps: Deps, *, now: float | None = None) -> list[Envelope]:
    """Breach handoffs not accepted in time: raise priority, go to overflow, tell the customer."""
    now = now or time.time()
    out: list[Envelope] = []
    for member in await deps.store.due(deps.queue.sla_queue, now, limit=200):
        if not await deps.store.take(deps.queue.sla_queue, member):
            continue  # another desk instance handles it
        tenant_id, packet_id = orjson.loads(member)
        item = await deps.queue.get(tenant_id, packet_id)
        if item is None or item.status != "open" or item.breached:
            continue
        from_queue = item.queue
        item.breached = True
        item.priority = max(1, item.priority - 1)
        if not from_queue.endswith(deps.overflow_suffix):
            item.queue = from_queue + deps.overflow_suffix
        await deps.queue.put(item)
        deps.hub.publish(tenant_id, from_queue, {"type": "removed", "packet_id": packet_id})
        _notify(deps, "breached", item)
        waited = now - item.received_at
        expected = max(item.sla_seconds, 60)
        common = _about(item)
        out.append(
            SlaBreached(
                event_id=derived_id(packet_id, "sla_breached"),
                sla_seconds=item.sla_seconds,
                waited_seconds=round(waited, 3),
                from_queue=from_queue,
                to_queue=item.queue,
                priority=item.priority,
                **common,
            )
        )
        out.append(
            CustomerNotice(
                event_id=derived_id(packet_id, "notice"),
                text=(
                    "Thanks for waiting: all our agents are busy right now. "
                    f"The expected wait is about {expected // 60 or 1} minute(s). "
                    "Reply CALLBACK and we will call you back instead."
                ),
                expected_wait_seconds=expected,
                offer_callback=True,
                **common,
            )
        )
    return out
