"""Chatwoot connector handlers: carry each handoff into the conversation it came from.

A packet becomes three steps, each claimed once in Redis: a private note with the summary,
the queue's team, and the status open. An update (and, later, an SLA breach) reassigns the
conversation to its new queue's team. Every step that runs reports ``connector.delivered``
or ``connector.failed``; steps a redelivery finds done report nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from services.chatwoot.client import ChatwootClient, Reply
from services.chatwoot.events import ConnectorDelivered, ConnectorFailed, Step
from services.chatwoot.ledger import Claim, Held, Ledger
from services.chatwoot.mapping import Conversation, Desk, Desks, parse_session
from services.chatwoot.metrics import IGNORED, STEPS
from services.chatwoot.note import render_note
from shared.logging import get_logger
from shared.schemas.envelope import Envelope, derived_id
from shared.schemas.events import HandoffPacketBuilt, HandoffUpdated, SlaBreached

log = get_logger("baton.chatwoot")

Outcome = ConnectorDelivered | ConnectorFailed


@dataclass
class Deps:
    client: ChatwootClient
    desks: Desks
    ledger: Ledger
    service: str = "chatwoot"
    concurrency: int = 8
    note_max_chars: int = 10_000


@dataclass(frozen=True, slots=True)
class Job:
    """One event's work on one conversation, with what every report about it carries."""

    event: Envelope
    packet_id: str
    conversation: Conversation
    desk: Desk
    key: str


async def on_packet(packet: HandoffPacketBuilt, deps: Deps) -> list[Outcome]:
    """Post the summary as a private note, assign the queue's team, set the status open."""
    job = _job(packet, packet.packet_id, deps)
    if isinstance(job, list):
        return job
    c, desk = job.conversation, job.desk
    out: list[Outcome] = []
    note = render_note(packet, max_chars=deps.note_max_chars)
    out += await _step(job, "note", deps, lambda: deps.client.post_private_note(desk, c, note))
    team_id = desk.team_for(packet.queue)
    if team_id is None:
        out.append(_unmapped(job, "assign", packet.queue, deps))
    elif await deps.ledger.get(job.key, _team_field(packet.packet_id)) is not None:
        # A later update already placed the conversation; a redelivered packet must not undo it.
        STEPS.labels(deps.service, "assign", "unchanged").inc()
    else:
        out += await _step(
            job, "assign", deps, lambda: deps.client.assign_team(desk, c, team_id), team=team_id
        )
    out += await _step(job, "open", deps, lambda: deps.client.open(desk, c))
    return out


async def on_update(update: HandoffUpdated, deps: Deps) -> list[Outcome]:
    """Reassign the conversation to the team of the update's queue."""
    return await reassign(update, packet_id=update.packet_id, queue=update.queue, deps=deps)


async def reassign(cause: Envelope, *, packet_id: str, queue: str, deps: Deps) -> list[Outcome]:
    """Move the conversation to ``queue``'s team, unless it is already with that team."""
    job = _job(cause, packet_id, deps)
    if isinstance(job, list):
        return job
    team_id = job.desk.team_for(queue)
    if team_id is None:
        return [_unmapped(job, "reassign", queue, deps)]
    current = await deps.ledger.get(job.key, _team_field(packet_id))
    if current == str(team_id).encode():
        STEPS.labels(deps.service, "reassign", "unchanged").inc()
        return []
    return await _step(
        job,
        "reassign",
        deps,
        lambda: deps.client.assign_team(job.desk, job.conversation, team_id, step="reassign"),
        team=team_id,
    )


Handler = Callable[[Any, Deps], Awaitable[list[Outcome]]]


async def on_sla_breach(breach: SlaBreached, deps: Deps) -> list[Outcome]:
    """Nobody took it in time: move the conversation to the overflow queue's team."""
    return await reassign(breach, packet_id=breach.packet_id, queue=breach.to_queue, deps=deps)


# The whole service: which event is carried out by which handler.
HANDLERS: dict[type[Envelope], Handler] = {
    HandoffPacketBuilt: on_packet,
    HandoffUpdated: on_update,
    SlaBreached: on_sla_breach,
}


async def handle(events: Sequence[Envelope], deps: Deps) -> list[Envelope]:
    """Run each session's events in order, sessions side by side, and return the reports."""
    sessions: dict[tuple[str, str], list[Envelope]] = {}
    for e in events:
        if type(e) in HANDLERS:
            sessions.setdefault((e.tenant_id, e.session_id), []).append(e)
    gate = asyncio.Semaphore(deps.concurrency)

    async def run(batch: list[Envelope]) -> list[Outcome]:
        async with gate:
            out: list[Outcome] = []
            for e in batch:
                out += await HANDLERS[type(e)](e, deps)
            return out

    results = await asyncio.gather(*(run(b) for b in sessions.values()))
    return [o for r in results for o in r]


def _job(event: Envelope, packet_id: str, deps: Deps) -> Job | list[Outcome]:
    """Resolve where the event goes; a list (maybe empty) says there is nothing to call."""
    conversation = parse_session(event.session_id)
    if conversation is None:
        IGNORED.labels(deps.service, "not_chatwoot").inc()
        return []
    desk = deps.desks.for_tenant(event.tenant_id)
    job = Job(
        event, packet_id, conversation, desk, deps.ledger.key(event.tenant_id, event.session_id)
    )
    refusal = desk.refusal(conversation)
    if refusal is not None:
        steps: tuple[Step, ...] = (
            ("note", "assign", "open") if isinstance(event, HandoffPacketBuilt) else ("reassign",)
        )
        return [_failed(job, s, refusal, deps) for s in steps]
    return job


async def _step(
    job: Job,
    step: Step,
    deps: Deps,
    call: Callable[[], Awaitable[Reply]],
    *,
    team: int | None = None,
) -> list[Outcome]:
    field = f"{job.packet_id}:{step}" if step != "reassign" else f"{job.event.event_id}:{step}"
    claim = await deps.ledger.begin(job.key, field)
    if isinstance(claim, Held):
        STEPS.labels(deps.service, step, claim.value).inc()
        log.info("chatwoot_step_skipped", step=step, packet_id=job.packet_id, held=claim.value)
        return []
    reply = await call()
    return [await _settle(job, step, claim, reply, deps, team)]


async def _settle(
    job: Job, step: Step, claim: Claim, reply: Reply, deps: Deps, team: int | None
) -> Outcome:
    if not reply.ok:
        error = reply.error or "failed"
        await deps.ledger.release(claim, error)
        return _failed(job, step, error, deps, reply=reply, attempt_id=claim.value.decode())
    await deps.ledger.done(claim)
    if team is not None:
        await deps.ledger.put(job.key, _team_field(job.packet_id), str(team).encode())
    STEPS.labels(deps.service, step, "delivered").inc()
    kind = {"note": "message", "assign": "team", "reassign": "team", "open": "conversation"}[step]
    ref = reply.reference or (str(job.conversation.conversation_id) if step == "open" else None)
    return ConnectorDelivered(
        event_id=derived_id(job.event.event_id, step, "delivered"),
        tenant_id=job.event.tenant_id,
        session_id=job.event.session_id,
        seq=job.event.seq,
        step=step,
        packet_id=job.packet_id,
        cause_event_id=job.event.event_id,
        target=str(job.conversation),
        attempts=reply.attempts,
        status_code=reply.status_code,
        reference=f"{kind}:{ref}" if ref else None,
        trace=job.event.child_trace(),
    )


def _failed(
    job: Job,
    step: Step,
    error: str,
    deps: Deps,
    *,
    reply: Reply | None = None,
    attempt_id: str = "",
) -> ConnectorFailed:
    """Report a step that failed, or was refused before any request (``reply`` None)."""
    STEPS.labels(deps.service, step, "failed").inc()
    log.error("chatwoot_step_failed", step=step, packet_id=job.packet_id, error=error)
    return ConnectorFailed(
        # A later delivery that fails again is news, so each claim's failure has its own id.
        event_id=derived_id(job.event.event_id, step, "failed", attempt_id),
        tenant_id=job.event.tenant_id,
        session_id=job.event.session_id,
        seq=job.event.seq,
        step=step,
        packet_id=job.packet_id,
        cause_event_id=job.event.event_id,
        target=str(job.conversation),
        attempts=reply.attempts if reply else 0,
        status_code=reply.status_code if reply else None,
        retryable=reply.retryable if reply else False,
        error=error,
        trace=job.event.child_trace(),
    )


def _unmapped(job: Job, step: Step, queue: str, deps: Deps) -> ConnectorFailed:
    return _failed(job, step, f"no Chatwoot team mapped for queue {queue!r}", deps)


def _team_field(packet_id: str) -> str:
    return f"{packet_id}:team"
