"""Context handlers: fold every stream into the session, emit one packet per episode.

A packet is built as soon as every turn up to the decision has its intent and sentiment; if
some never come, the sweeper builds it at the deadline with what is missing marked. The claim
(HSETNX of the packet) makes exactly one packet per episode, even with several instances.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from services.context.packet import assemble, packet_id
from services.context.privacy import redactor_for
from services.context.session import CONSENT, NAMESPACE, OPEN, missing_for, open_episodes, write_for
from shared.bus.base import Message, Publisher
from shared.bus.codec import to_message
from shared.customers.crm import CustomerDirectory
from shared.customers.history import SessionHistory, is_repeat_contact
from shared.logging import get_logger
from shared.metrics import PACKETS, TURN_LATENCY
from shared.policy.store import PolicyStore
from shared.runtime import every
from shared.schemas.envelope import Envelope, derived_id
from shared.schemas.events import (
    EscalationDecided,
    HandoffPacketBuilt,
    HandoffUpdated,
    IntentDetected,
    PastSession,
    SessionEnded,
    SessionResolved,
)
from shared.schemas.topics import HANDOFF_PACKETS
from shared.state.base import QueueMove, StateStore, session_key

log = get_logger("baton.context")

PENDING = "baton:context:pending"
OUTBOX = "baton:context:outbox"


@dataclass
class Deps:
    store: StateStore
    directory: CustomerDirectory
    history: SessionHistory
    policies: PolicyStore
    ttl_seconds: int
    max_wait_seconds: float = 2.0
    republish_after_seconds: float = 10.0
    clock: Any = field(default=time.time)
    # Due-time queues shared by every instance of this deployment.
    pending_queue: str = PENDING
    outbox_queue: str = OUTBOX


def _member(tenant_id: str, session_id: str, episode: int) -> str:
    return orjson.dumps([tenant_id, session_id, episode]).decode()


async def handle(events: Sequence[Envelope], deps: Deps) -> list[Envelope]:
    """Fold a batch into Redis in one round trip, then build the packets that became ready."""
    pairs = [(e, w) for e in events if (w := write_for(e)) is not None]
    snapshots = await deps.store.apply([w for _, w in pairs], ttl_seconds=deps.ttl_seconds)
    updates: list[tuple[EscalationDecided, bool]] = []
    # Per open episode, the batch's latest view of the session: writes only add fields, so
    # it is the most complete one.
    latest: dict[tuple[str, str, int], dict[str, bytes]] = {}
    for (event, _), snap in zip(pairs, snapshots, strict=True):
        if isinstance(event, SessionResolved | SessionEnded):
            await _record_history(event, snap.fields, deps)
        if isinstance(event, EscalationDecided) and event.update:
            # Before the packet is built, its reasons join the packet; after, they are news.
            updates.append((event, f"h:{event.episode}" in snap.fields))
            continue
        for episode in open_episodes(snap.fields):
            latest[(event.tenant_id, event.session_id, episode)] = snap.fields
    ready: list[tuple[EscalationDecided, dict[str, bytes]]] = []
    for (tenant_id, session_id, episode), fields in latest.items():
        decision = EscalationDecided.model_validate_json(fields[f"d:{episode}"])
        if missing_for(fields, decision.seq):
            await deps.store.schedule(
                deps.pending_queue,
                _member(tenant_id, session_id, episode),
                deps.clock() + deps.max_wait_seconds,
            )
        else:
            ready.append((decision, fields))
    # Packets of different sessions are independent: build them concurrently, so a batch
    # with several handoffs pays the store's round trips once, not once per packet.
    built = await asyncio.gather(*(build_and_claim(d, f, [], deps) for d, f in ready))
    packets = [p for p in built if p is not None]
    claimed = {(p.tenant_id, p.session_id, p.episode) for p in packets}
    out: list[Envelope] = list(packets)
    for decision, packet_exists in updates:
        if packet_exists or (decision.tenant_id, decision.session_id, decision.episode) in claimed:
            out.append(update_for(decision))
    return out


def update_for(decision: EscalationDecided) -> HandoffUpdated:
    """Announce new reasons or priority for the episode's packet (same packet id)."""
    return HandoffUpdated(
        event_id=derived_id(decision.tenant_id, decision.session_id, decision.seq, "update"),
        tenant_id=decision.tenant_id,
        session_id=decision.session_id,
        seq=decision.seq,
        packet_id=packet_id(decision.tenant_id, decision.session_id, decision.episode),
        episode=decision.episode,
        decided_seq=decision.seq,
        reasons=decision.reasons,
        priority=decision.priority,
        queue=decision.queue,
        policy_version=decision.policy_version,
        trace=decision.child_trace(),
    )


async def build_and_claim(
    decision: EscalationDecided, fields: dict[str, bytes], missing: list[str], deps: Deps
) -> HandoffPacketBuilt | None:
    """Build the episode's packet and claim it; None if another delivery already did."""
    customer_id = fields.get("customer_id", b"").decode() or None
    profile = None
    history: list[PastSession] = []
    if customer_id:
        profile, history = await asyncio.gather(
            deps.directory.profile(decision.tenant_id, customer_id),
            deps.history.recent(decision.tenant_id, customer_id, exclude=decision.session_id),
        )
    now = datetime.fromtimestamp(deps.clock(), UTC)
    intents = [
        IntentDetected.model_validate_json(v).intent
        for k, v in fields.items()
        if k.startswith("i:")
    ]
    pii = deps.policies.for_tenant(decision.tenant_id).policy.pii
    packet = assemble(
        redact=redactor_for(pii, consented=fields.get(CONSENT) == b"1"),
        decision=decision,
        fields=fields,
        profile=profile,
        history=history,
        repeat_contact=is_repeat_contact(history, intents, now=now),
        missing=missing,
        now=now,
    )
    key = session_key(decision.tenant_id, decision.session_id, NAMESPACE)
    member = _member(decision.tenant_id, decision.session_id, decision.episode)
    # The claim also puts the packet in the outbox (the sweeper re-sends it if this process
    # dies before Kafka acknowledges it; same packet id, so desktops de-duplicate) and takes
    # its wait off the pending queue, atomically: a crash cannot leave it claimed, unsent.
    claim = deps.store.claim(
        key,
        f"h:{decision.episode}",
        packet.model_dump_json().encode(),
        ttl_seconds=deps.ttl_seconds,
        clear=OPEN,
        then=QueueMove(
            member,
            schedule=deps.outbox_queue,
            due_at=deps.clock() + deps.republish_after_seconds,
            unschedule=deps.pending_queue,
        ),
    )
    if customer_id:
        # Alongside the claim: a repeat delivery writes the same entry, and never over an
        # outcome recorded since (the session's end).
        escalated = PastSession(
            session_id=decision.session_id,
            intents=sorted(set(intents)),
            outcome="escalated",
            at=now,
        )
        (won, _), _ = await asyncio.gather(
            claim,
            deps.history.record(decision.tenant_id, customer_id, escalated, unless_known=True),
        )
    else:
        won, _ = await claim
    if not won:
        return None
    PACKETS.labels(str(packet.complete).lower(), packet.queue).inc()
    log.info(
        "handoff_packet_built",
        session_id=packet.session_id,
        event_id=packet.event_id,
        episode=packet.episode,
        queue=packet.queue,
        complete=packet.complete,
        missing=packet.missing,
        reasons=[r.code for r in packet.reasons],
    )
    return packet


async def _record_history(event: Envelope, fields: dict[str, bytes], deps: Deps) -> None:
    customer_id = fields.get("customer_id", b"").decode()
    if not customer_id:
        return
    outcome = orjson.loads(fields["outcome"])["outcome"] if "outcome" in fields else "ended"
    escalated = any(f.startswith("h:") for f in fields)
    intents = sorted(
        {
            IntentDetected.model_validate_json(v).intent
            for k, v in fields.items()
            if k.startswith("i:")
        }
    )
    await deps.history.record(
        event.tenant_id,
        customer_id,
        PastSession(
            session_id=event.session_id,
            intents=intents,
            outcome=f"{outcome}_after_handoff" if escalated else outcome,
            at=event.occurred_at,
        ),
    )


async def after_publish(messages: Sequence[Message], deps: Deps) -> None:
    """Take acknowledged packets out of the outbox and record their latency."""
    taken = []
    for m in messages:
        if m.topic != HANDOFF_PACKETS.name:
            continue
        body = orjson.loads(m.value)
        if body.get("event_type") != "handoff.packet":
            continue
        packet = HandoffPacketBuilt.model_validate(body)
        taken.append(
            deps.store.take(
                deps.outbox_queue, _member(packet.tenant_id, packet.session_id, packet.episode)
            )
        )
        if packet.trace.origin_at is not None:
            TURN_LATENCY.labels("context", "packet").observe(
                max(0.0, deps.clock() - packet.trace.origin_at.timestamp())
            )
    await asyncio.gather(*taken)


async def sweep_once(publisher: Publisher, deps: Deps) -> int:
    """Build packets whose wait is over, and re-send packets never acknowledged."""
    sent = 0
    now = deps.clock()
    for member in await deps.store.due(deps.pending_queue, now, limit=100):
        if not await deps.store.take(deps.pending_queue, member):
            continue  # another instance took it
        tenant_id, session_id, episode = orjson.loads(member)
        fields = await deps.store.read(session_key(tenant_id, session_id, NAMESPACE))
        if f"d:{episode}" not in fields or f"h:{episode}" in fields:
            continue
        decision = EscalationDecided.model_validate_json(fields[f"d:{episode}"])
        packet = await build_and_claim(decision, fields, missing_for(fields, decision.seq), deps)
        if packet is not None:
            await publisher.publish([to_message(HANDOFF_PACKETS, packet)])
            await after_publish([to_message(HANDOFF_PACKETS, packet)], deps)
            sent += 1
    for member in await deps.store.due(deps.outbox_queue, now, limit=100):
        tenant_id, session_id, episode = orjson.loads(member)
        fields = await deps.store.read(session_key(tenant_id, session_id, NAMESPACE))
        raw = fields.get(f"h:{episode}")
        if raw is not None:
            packet = HandoffPacketBuilt.model_validate_json(raw)
            log.warning("handoff_packet_resent", session_id=session_id, event_id=packet.event_id)
            await publisher.publish([to_message(HANDOFF_PACKETS, packet)])
            sent += 1
        await deps.store.take(deps.outbox_queue, member)
    return sent


async def sweeper(
    publisher: Publisher, stop: asyncio.Event, deps: Deps, interval: float = 0.1
) -> None:
    """Run ``sweep_once`` until stopped; errors are logged and retried, never fatal."""
    await every(interval, lambda: sweep_once(publisher, deps), stop, name="sweep")
