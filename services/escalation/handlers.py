"""Escalation handlers: fold events into the session hash, decide by policy when a turn is complete.

Decisions carry ids derived from their turn, so a redelivered event re-emits the same decision
and downstream stores ignore it. The first transfer of an episode also tells the platform's
bot to pause; later transfers in that episode are marked as updates of the open handoff.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from services.escalation.policy.engine import evaluate
from services.escalation.session import (
    DECISION_LOG,
    NAMESPACE,
    ready_turn,
    view_upto,
    write_for,
)
from shared.customers.crm import CustomerDirectory
from shared.customers.history import SessionHistory
from shared.policy.store import PolicyStore
from shared.schemas.envelope import Envelope, derived_id, utcnow
from shared.schemas.events import (
    Action,
    BotControl,
    Channel,
    ConversationTurn,
    CustomerProfile,
    EscalationDecided,
    IntentDetected,
    PastSession,
    SentimentScored,
    SessionHandedBack,
)
from shared.state.base import StateStore, Write, session_key

CRM_FIELD = "crm"


@dataclass
class Deps:
    store: StateStore
    ttl_seconds: int
    policies: PolicyStore
    directory: CustomerDirectory
    history: SessionHistory


async def _prefetch_customers(
    ready: Sequence[tuple[Envelope, dict[str, bytes]]], deps: Deps
) -> None:
    """Fetch profile and history once per session and keep them in its hash.

    Decisions need them on every turn; the CRM and history are read only for sessions that
    do not have them cached yet, all of this batch's in one round trip each.
    """
    todo: dict[str, tuple[Envelope, str, list[dict[str, bytes]]]] = {}
    for event, fields in ready:
        customer_id = fields.get("customer_id", b"").decode()
        if CRM_FIELD in fields or not customer_id:
            continue
        key = session_key(event.tenant_id, event.session_id, NAMESPACE)
        todo.setdefault(key, (event, customer_id, []))[2].append(fields)
    if not todo:
        return

    wanted = list(todo.values())
    profiles, histories = await asyncio.gather(
        deps.directory.profiles([(e.tenant_id, cid) for e, cid, _ in wanted]),
        deps.history.recent_many([(e.tenant_id, cid, e.session_id) for e, cid, _ in wanted]),
    )
    values = [
        orjson.dumps(
            {
                "p": profile.model_dump(mode="json") if profile else None,
                "h": [h.model_dump(mode="json") for h in history],
            }
        )
        for profile, history in zip(profiles, histories, strict=True)
    ]
    await deps.store.apply(
        [Write(key, {CRM_FIELD: v}, want_all=("-",)) for key, v in zip(todo, values, strict=True)],
        ttl_seconds=deps.ttl_seconds,
    )
    for (_, _, field_maps), value in zip(todo.values(), values, strict=True):
        for fields in field_maps:
            fields[CRM_FIELD] = value


CustomerContext = tuple[CustomerProfile | None, tuple[PastSession, ...]]
# The stored profile and history never change within a session, and every decision reads
# them: validate each stored value once. Bounded; dropped when full.
_CUSTOMERS_MAX = 10_000
_customers: dict[bytes, CustomerContext] = {}


def _customer_context(fields: dict[str, bytes]) -> CustomerContext:
    """Profile and past sessions from the session hash (see ``_prefetch_customers``)."""
    raw = fields.get(CRM_FIELD)
    if raw is None:
        return None, ()
    hit = _customers.get(raw)
    if hit is None:
        cached = orjson.loads(raw)
        profile = CustomerProfile.model_validate(cached["p"]) if cached["p"] else None
        hit = (profile, tuple(PastSession.model_validate(h) for h in cached["h"]))
        if len(_customers) >= _CUSTOMERS_MAX:
            _customers.clear()
        _customers[raw] = hit
    return hit


def decision_for(event: Envelope, fields: dict[str, bytes], deps: Deps) -> EscalationDecided | None:
    """Decide for the event's turn once its text, intent and sentiment are all in."""
    if not ready_turn(fields, event.seq):
        return None
    profile, history = _customer_context(fields)
    view = view_upto(
        event.tenant_id,
        event.session_id,
        fields,
        event.seq,
        profile=profile,
        history=history,
        now=utcnow(),
    )
    verdict = evaluate(view, deps.policies.for_tenant(event.tenant_id))
    return EscalationDecided(
        event_id=derived_id(event.tenant_id, event.session_id, event.seq, "decision"),
        tenant_id=event.tenant_id,
        session_id=event.session_id,
        seq=event.seq,
        action=verdict.action,
        reasons=list(verdict.reasons),
        near_misses=list(verdict.near_misses),
        priority=verdict.priority,
        queue=verdict.queue,
        sla_seconds=verdict.sla_seconds,
        episode=view.episode,
        channel=Channel(view.channel),
        customer_id=view.customer_id,
        policy_version=verdict.policy_version,
        policy_hash=verdict.policy_hash,
        trace=event.child_trace(),
    )


def _control(decision: EscalationDecided, command: str, reason: str) -> BotControl:
    return BotControl(
        event_id=derived_id(decision.tenant_id, decision.session_id, decision.episode, command),
        tenant_id=decision.tenant_id,
        session_id=decision.session_id,
        seq=decision.seq,
        command=command,
        episode=decision.episode,
        reason=reason,
        trace=decision.child_trace(),
    )


async def handle(events: Sequence[Envelope], deps: Deps) -> list[Envelope]:
    """Fold a batch into Redis in one round trip, then decide for each completed turn."""
    pairs = [(e, w) for e in events if (w := write_for(e)) is not None]
    snapshots = await deps.store.apply([w for _, w in pairs], ttl_seconds=deps.ttl_seconds)
    out: list[Envelope] = []
    transfers: list[tuple[EscalationDecided, dict[str, bytes]]] = []
    await _prefetch_customers(
        [
            (e, s.fields)
            for (e, _), s in zip(pairs, snapshots, strict=True)
            if s.fields and ready_turn(s.fields, e.seq)
        ],
        deps,
    )
    for (event, _), snap in zip(pairs, snapshots, strict=True):
        if isinstance(event, SessionHandedBack):
            ended = sum(1 for f in snap.fields if f.startswith("hb:") and int(f[3:]) <= event.seq)
            out.append(
                BotControl(
                    event_id=derived_id(event.tenant_id, event.session_id, event.seq, "bot.resume"),
                    tenant_id=event.tenant_id,
                    session_id=event.session_id,
                    seq=event.seq,
                    command="bot.resume",
                    episode=max(1, ended),
                    reason="an agent handed the session back to the bot",
                    trace=event.child_trace(),
                )
            )
            continue
        if not snap.fields or not isinstance(
            event, ConversationTurn | IntentDetected | SentimentScored
        ):
            continue
        decision = decision_for(event, snap.fields, deps)
        if decision is None:
            continue
        if decision.action is Action.TRANSFER:
            transfers.append((decision, snap.fields))
        else:
            out.append(decision)
    out += await _mark_episodes(transfers, deps)
    await _remember(out, deps)
    return out


async def _remember(out: Sequence[Envelope], deps: Deps) -> None:
    """Keep each decision in the session hash, for `baton policy explain` on a live session."""
    writes = [
        Write(
            session_key(d.tenant_id, d.session_id, DECISION_LOG),
            {f"dec:{d.seq}": d.model_dump_json(exclude={"trace"}).encode()},
            only_new=False,
            want_all=("-",),
        )
        for d in out
        # A plain "continue" with nothing near firing explains itself by its absence.
        if isinstance(d, EscalationDecided) and (d.reasons or d.near_misses)
    ]
    if writes:
        await deps.store.apply(writes, ttl_seconds=deps.ttl_seconds)


async def _mark_episodes(
    transfers: list[tuple[EscalationDecided, dict[str, bytes]]], deps: Deps
) -> list[Envelope]:
    """Record the first transfer of each episode; it pauses the bot, later ones are updates."""
    if not transfers:
        return []
    writes = [
        Write(
            session_key(d.tenant_id, d.session_id, NAMESPACE),
            {f"x:{d.episode}": str(d.seq).encode()},
            want_all=(f"x:{d.episode}",),
        )
        for d, _ in transfers
    ]
    snaps = await deps.store.apply(writes, ttl_seconds=deps.ttl_seconds)
    out: list[Envelope] = []
    for (decision, _), snap in zip(transfers, snaps, strict=True):
        first = int(snap.fields[f"x:{decision.episode}"]) == decision.seq
        if not first:
            decision = decision.model_copy(update={"update": True})
        out.append(decision)
        if first:
            out.append(_control(decision, "bot.pause", "a human is taking over"))
    return out
