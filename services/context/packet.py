"""Assemble a handoff packet from a session's stored fields (pure: no I/O)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from services.context.summary import summarise
from services.context.trajectory import trajectory
from shared.schemas.envelope import TraceContext, derived_id
from shared.schemas.events import (
    ConversationTurn,
    CustomerProfile,
    EscalationDecided,
    Fact,
    HandoffPacketBuilt,
    IntentDetected,
    PastSession,
    Reason,
    SentimentScored,
    TranscriptLine,
    TurnIntent,
    TurnSentiment,
)
from shared.stateful import seqs_with


def packet_id(tenant_id: str, session_id: str, episode: int) -> str:
    """The same episode always yields the same packet id, so desktops can de-duplicate."""
    return derived_id(tenant_id, session_id, episode, "handoff")


def _merge_reasons(fields: dict[str, bytes], episode: int, upto: int) -> list[Reason]:
    seen: dict[str, Reason] = {}
    prefix = f"r:{episode}:"
    for name in sorted(
        (f for f in fields if f.startswith(prefix)), key=lambda f: int(f.split(":")[2])
    ):
        for r in EscalationDecided.model_validate_json(fields[name]).reasons:
            seen.setdefault(r.code, r)
    return list(seen.values())


def assemble(
    *,
    decision: EscalationDecided,
    fields: dict[str, bytes],
    profile: CustomerProfile | None,
    history: Sequence[PastSession],
    repeat_contact: bool,
    missing: Sequence[str],
    now: datetime,
    redact: Callable[[str], str] = str,
) -> HandoffPacketBuilt:
    """Build the packet for ``decision``'s episode from everything stored up to its turn.

    ``redact`` is applied to every free text the customer wrote (transcript, facts), so the
    summary, built from them, is redacted too.
    """
    upto = decision.seq
    turns = [
        ConversationTurn.model_validate_json(fields[f"t:{s}"])
        for s in seqs_with(fields, "t")
        if s <= upto
    ]
    intents = [
        IntentDetected.model_validate_json(fields[f"i:{s}"])
        for s in seqs_with(fields, "i")
        if s <= upto
    ]
    scores = [
        SentimentScored.model_validate_json(fields[f"s:{s}"])
        for s in seqs_with(fields, "s")
        if s <= upto
    ]
    transcript = [
        TranscriptLine(seq=t.seq, role=t.role, text=redact(t.text), at=t.occurred_at) for t in turns
    ]
    turn_intents = [
        TurnIntent(
            seq=i.seq,
            intent=i.intent,
            confidence=i.confidence,
            in_scope=i.in_scope,
            tier=i.tier,
            topic=i.topic,
        )
        for i in intents
    ]
    points = [
        TurnSentiment(
            seq=s.seq, score=s.score, label=s.label, frustration=s.frustration, urgency=s.urgency
        )
        for s in scores
    ]
    facts = [
        f.model_copy(update={"value": redact(f.value), "text": redact(f.text)})
        for f in _facts(intents, turns)
    ]
    reasons = _merge_reasons(fields, decision.episode, upto) or list(decision.reasons)
    sentiment = trajectory(points)
    return HandoffPacketBuilt(
        event_id=packet_id(decision.tenant_id, decision.session_id, decision.episode),
        packet_id=packet_id(decision.tenant_id, decision.session_id, decision.episode),
        tenant_id=decision.tenant_id,
        session_id=decision.session_id,
        seq=upto,
        episode=decision.episode,
        decided_seq=upto,
        action=decision.action,
        reasons=reasons,
        priority=decision.priority,
        queue=decision.queue,
        channel=decision.channel,
        summary=summarise(
            transcript=transcript,
            intents=turn_intents,
            facts=facts,
            sentiment=sentiment,
            reasons=reasons,
            repeat_contact=repeat_contact,
        ),
        transcript=transcript,
        intents=turn_intents,
        sentiment=sentiment,
        facts=facts,
        customer=profile,
        history=list(history),
        repeat_contact=repeat_contact,
        complete=not missing,
        missing=list(missing),
        sla_seconds=decision.sla_seconds,
        policy_version=decision.policy_version,
        policy_hash=decision.policy_hash,
        built_at=now,
        trace=TraceContext(
            trace_id=decision.trace.trace_id,
            parent_event_id=decision.event_id,
            origin_at=decision.trace.origin_at,
        ),
    )


def _facts(intents: Sequence[IntentDetected], turns: Sequence[ConversationTurn]) -> list[Fact]:
    facts: list[Fact] = []
    seen: set[tuple[str, str]] = set()
    customer_id = next((t.customer_id for t in turns if t.customer_id), None)
    if customer_id:
        facts.append(
            Fact(kind="customer_id", value=customer_id, seq=turns[0].seq, text=customer_id)
        )
        seen.add(("customer_id", customer_id))
    for i in intents:
        for e in i.entities:
            if (e.kind, e.value) in seen:
                continue
            seen.add((e.kind, e.value))
            facts.append(Fact(kind=e.kind, value=e.value, seq=i.seq, text=e.text))
    return facts
