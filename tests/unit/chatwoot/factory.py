"""Handoff packets and updates for Chatwoot sessions, as the context service builds them."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.schemas.envelope import derived_id
from shared.schemas.events import (
    Channel,
    CustomerProfile,
    Fact,
    HandoffPacketBuilt,
    HandoffUpdated,
    Reason,
    Role,
    SentimentTrajectory,
    TranscriptLine,
)

AT = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def packet(
    *,
    tenant: str = "acme",
    session: str = "chatwoot:7:42",
    queue: str = "billing",
    episode: int = 1,
) -> HandoffPacketBuilt:
    pid = derived_id(tenant, session, episode, "handoff")
    return HandoffPacketBuilt(
        event_id=derived_id(pid, "built"),
        tenant_id=tenant,
        session_id=session,
        seq=3,
        producer="context",
        packet_id=pid,
        episode=episode,
        decided_seq=3,
        reasons=[
            Reason(code="human_request", detail="customer asked for a person in turn 3", turns=[3]),
            Reason(code="large_amount", detail="1,250.00 EUR in turn 2 is above 1,000", turns=[2]),
        ],
        priority=2,
        queue=queue,
        channel=Channel.CHAT,
        summary="Customer wants help with billing dispute. Already provided: order number 98765.",
        transcript=[
            TranscriptLine(seq=1, role=Role.CUSTOMER, text="I was charged twice", at=AT),
            TranscriptLine(seq=2, role=Role.BOT, text="Sorry to hear that", at=AT),
            TranscriptLine(seq=3, role=Role.CUSTOMER, text="Let me talk to a person", at=AT),
        ],
        intents=[],
        sentiment=SentimentTrajectory(),
        facts=[
            Fact(kind="order_number", value="98765", seq=1, text="order 98765"),
            Fact(kind="amount", value="1250.00 EUR", seq=2, text="1250 euros"),
        ],
        customer=CustomerProfile(customer_id="c-1", name="Dana Lee", tier="gold"),
        repeat_contact=True,
        sla_seconds=120,
    )


def update(base: HandoffPacketBuilt, *, queue: str, seq: int = 5) -> HandoffUpdated:
    return HandoffUpdated(
        event_id=derived_id(base.tenant_id, base.session_id, seq, "update"),
        tenant_id=base.tenant_id,
        session_id=base.session_id,
        seq=seq,
        packet_id=base.packet_id,
        episode=base.episode,
        decided_seq=seq,
        reasons=[Reason(code="negative_sentiment", detail="3 negative turns", turns=[4, 5])],
        priority=1,
        queue=queue,
    )
