"""Escalation handlers: record each event in the session hash, decide when a turn is complete."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from services.escalation.rules import Limits, decide
from services.escalation.session import ready_turn, view_upto, write_for
from shared.schemas.envelope import Envelope, derived_id
from shared.schemas.events import (
    Channel,
    ConversationTurn,
    EscalationDecided,
    IntentDetected,
    SentimentScored,
    SessionStarted,
)
from shared.state.base import StateStore, Write


@dataclass
class Deps:
    store: StateStore
    ttl_seconds: int
    limits: Limits


def decision_for(
    event: Envelope, fields: dict[str, bytes], limits: Limits
) -> EscalationDecided | None:
    """Decide for the event's turn once its text, intent and sentiment are all in."""
    if not ready_turn(fields, event.seq):
        return None
    view = view_upto(event.tenant_id, event.session_id, fields, event.seq)
    outcome = decide(view, limits)
    return EscalationDecided(
        event_id=derived_id(event.tenant_id, event.session_id, event.seq, "decision"),
        tenant_id=event.tenant_id,
        session_id=event.session_id,
        seq=event.seq,
        action=outcome.action,
        reasons=list(outcome.reasons),
        priority=outcome.priority,
        queue=outcome.queue,
        channel=Channel(view.channel),
        customer_id=view.customer_id,
        trace=event.child_trace(),
    )


async def handle(events: Sequence[Envelope], deps: Deps) -> list[Envelope]:
    """Fold a batch into Redis in one round trip, then decide for each completed turn.

    Decisions carry deterministic ids, so a redelivered event re-emits the same decision
    and downstream stores ignore it.
    """
    pairs: list[tuple[Envelope, Write]] = [
        (e, w) for e in events if (w := write_for(e)) is not None
    ]
    snapshots = await deps.store.apply([w for _, w in pairs], ttl_seconds=deps.ttl_seconds)
    out: list[Envelope] = []
    for (event, _), snap in zip(pairs, snapshots, strict=True):
        if isinstance(event, ConversationTurn | IntentDetected | SentimentScored):
            decision = decision_for(event, snap.fields, deps.limits)
            if decision is not None:
                out.append(decision)
    return out


HANDLED: tuple[type[Envelope], ...] = (
    ConversationTurn,
    IntentDetected,
    SentimentScored,
    SessionStarted,
)
