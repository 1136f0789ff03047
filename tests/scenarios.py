"""Pipeline scenarios, written once and run on the in-memory doubles and on Kafka + Redis."""

from __future__ import annotations

import asyncio
import base64
import uuid
from datetime import timedelta

from shared.bus.base import Bus, Message
from shared.bus.codec import to_message
from shared.schemas.envelope import Envelope, derived_id, utcnow
from shared.schemas.events import (
    Action,
    ConversationTurn,
    EscalationDecided,
    IntentDetected,
    Reason,
    Role,
    SentimentLabel,
    SentimentScored,
    SessionHandedBack,
)
from shared.schemas.topics import CONVERSATION_EVENTS, DECISIONS, INTENTS, SENTIMENTS
from tests.harness import Watcher, publish_to, send

TENANT = "acme"


def sid(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:10]}"


def conversation(
    session: str, turns: list[tuple[str, str]], customer: str | None = None
) -> list[Envelope]:
    start = utcnow()
    return [
        ConversationTurn(
            event_id=derived_id(TENANT, session, i, "turn"),
            tenant_id=TENANT,
            session_id=session,
            seq=i,
            role=Role(role),
            text=text,
            customer_id=customer,
            occurred_at=start + timedelta(milliseconds=i),
        )
        for i, (role, text) in enumerate(turns, 1)
    ]


HUMAN = [
    ("customer", "Hi, my order #A48213 has not arrived"),
    ("bot", "Sorry to hear that! Order A48213 is in transit."),
    ("customer", "I want to talk to a real person please"),
]
ROUTINE = [
    ("customer", "Where is my order #B1234?"),
    ("bot", "Order B1234 arrives tomorrow."),
    ("customer", "Thanks, that's all"),
]


async def human_request_gives_one_full_packet(bus: Bus, watcher: Watcher) -> None:
    s = sid("human")
    await send(bus, conversation(s, HUMAN, customer=sid("C")))
    assert await watcher.until(lambda: watcher.packets_for(s)), "no packet"
    await watcher.settle(1.0)
    packets = watcher.packets_for(s)
    assert len(packets) == 1
    p = packets[0]
    assert [t.text for t in p.transcript] == [text for _, text in HUMAN]
    assert "explicit_request" in [r.code for r in p.reasons]
    assert p.complete and p.missing == []
    assert [i.seq for i in p.intents] == [1, 3]
    assert [pt.seq for pt in p.sentiment.points] == [1, 3]
    assert any(f.kind == "order_number" for f in p.facts)
    assert p.summary


async def routine_conversation_gives_no_packet(bus: Bus, watcher: Watcher) -> None:
    s = sid("routine")
    await send(bus, conversation(s, ROUTINE))
    assert await watcher.until(lambda: len(watcher.decisions_for(s)) == 2)
    await watcher.settle(1.0)
    assert all(d.action is Action.CONTINUE for d in watcher.decisions_for(s))
    assert watcher.packets_for(s) == []


def _intent(s: str, seq: int, intent: str = "order_status") -> IntentDetected:
    return IntentDetected(
        event_id=derived_id(TENANT, s, seq, "intent"),
        tenant_id=TENANT,
        session_id=s,
        seq=seq,
        turn_event_id=derived_id(TENANT, s, seq, "turn"),
        intent=intent,
        confidence=0.9,
        in_scope=True,
    )


def _sentiment(s: str, seq: int, score: float = -0.5) -> SentimentScored:
    return SentimentScored(
        event_id=derived_id(TENANT, s, seq, "sentiment"),
        tenant_id=TENANT,
        session_id=s,
        seq=seq,
        turn_event_id=derived_id(TENANT, s, seq, "turn"),
        score=score,
        label=SentimentLabel.NEGATIVE if score < 0 else SentimentLabel.NEUTRAL,
    )


def _decision(s: str, seq: int) -> EscalationDecided:
    return EscalationDecided(
        event_id=derived_id(TENANT, s, seq, "decision"),
        tenant_id=TENANT,
        session_id=s,
        seq=seq,
        action=Action.TRANSFER,
        reasons=[Reason(code="explicit_request", detail="asked", turns=[seq])],
        priority=3,
        queue="general",
    )


def _analyses(s: str, seqs: list[int]) -> list[Message]:
    msgs = []
    for q in seqs:
        msgs.append(to_message(INTENTS, _intent(s, q)))
        msgs.append(to_message(SENTIMENTS, _sentiment(s, q)))
    return msgs


async def late_out_of_order_analyses_still_complete(bus: Bus, watcher: Watcher) -> None:
    """Context only: the decision arrives first, the analyses later and in reverse order."""
    s = sid("late")
    turns = conversation(s, [("customer", "a"), ("bot", "b"), ("customer", "c"), ("customer", "d")])
    await publish_to(bus, [to_message(DECISIONS, _decision(s, 4))])
    await publish_to(bus, [to_message(CONVERSATION_EVENTS, t) for t in reversed(turns)])
    for q in (4, 3):
        await publish_to(bus, _analyses(s, [q]))
        await asyncio.sleep(0.2)
    await watcher.settle(0.3)
    assert watcher.packets_for(s) == [], "packet built before turn 1 was analysed"
    await publish_to(bus, [to_message(SENTIMENTS, _sentiment(s, 1))])
    await asyncio.sleep(0.1)
    await publish_to(bus, [to_message(INTENTS, _intent(s, 1))])
    assert await watcher.until(lambda: watcher.packets_for(s))
    p = watcher.packets_for(s)[0]
    assert p.complete and p.missing == []
    assert [t.seq for t in p.transcript] == [1, 2, 3, 4]
    assert [i.seq for i in p.intents] == [1, 3, 4]


async def missing_analysis_is_marked_after_the_wait(bus: Bus, watcher: Watcher) -> None:
    """Context only: an intent that never comes does not block the handoff forever."""
    s = sid("missing")
    turns = conversation(s, [("customer", "a"), ("customer", "b")])
    await publish_to(bus, [to_message(CONVERSATION_EVENTS, t) for t in turns])
    await publish_to(bus, [*_analyses(s, [2]), to_message(SENTIMENTS, _sentiment(s, 1))])
    await publish_to(bus, [to_message(DECISIONS, _decision(s, 2))])
    assert await watcher.until(lambda: watcher.packets_for(s), timeout=20)
    p = watcher.packets_for(s)[0]
    assert not p.complete
    assert p.missing == ["intent:1"]
    assert [t.seq for t in p.transcript] == [1, 2]


async def duplicates_change_nothing(bus: Bus, watcher: Watcher) -> None:
    s = sid("dup")
    events = conversation(s, HUMAN, customer=sid("C"))
    doubled = [e for e in events for _ in range(2)]
    await send(bus, doubled)
    await send(bus, events)
    assert await watcher.until(lambda: watcher.packets_for(s))
    await watcher.settle(1.5)
    packets = watcher.packets_for(s)
    assert len({p.packet_id for p in packets}) == 1
    assert len(packets) == 1
    p = packets[0]
    assert [t.seq for t in p.transcript] == [1, 2, 3]
    decision_ids = [d.event_id for d in watcher.decisions_for(s)]
    assert len(set(decision_ids)) == 2  # one per customer turn, however often re-emitted


async def malformed_goes_to_dlq_and_processing_goes_on(bus: Bus, watcher: Watcher) -> None:
    s = sid("dlq")
    marker = uuid.uuid4().hex
    broken = f'{{"event_type": "conversation.turn", "oops": "{marker}"'.encode()
    invalid = (
        f'{{"event_type": "conversation.turn", "tenant_id": "{TENANT}", "session_id": "{s}",'
        f' "seq": 1, "role": "robot", "text": "{marker}"}}'
    ).encode()
    await send(bus, [], raw=[broken, invalid])
    await send(bus, conversation(s, HUMAN))
    assert await watcher.until(lambda: watcher.packets_for(s)), "later events were not processed"
    assert await watcher.until(
        lambda: (
            len([d for d in watcher.dead if marker in base64.b64decode(d.original_b64).decode()])
            >= 2
        )
    )
    mine = [d for d in watcher.dead if marker in base64.b64decode(d.original_b64).decode()]
    assert len(mine) == 2, "each bad record is dead-lettered once"
    originals = {base64.b64decode(d.original_b64) for d in mine}
    assert originals == {broken, invalid}
    reasons = " | ".join(d.error for d in mine)
    assert "Invalid JSON" in reasons
    assert "role" in reasons


async def interleaved_sessions_stay_apart(bus: Bus, watcher: Watcher) -> None:
    a, b = sid("alpha"), sid("beta")
    conv_a = conversation(
        a, [("customer", "My order #AAA111 is late"), ("customer", "get me a human agent")]
    )
    conv_b = conversation(
        b,
        [
            ("customer", "my order #BBB222 is late"),
            ("customer", "and there is a charge I didn't make, this is fraud!"),
        ],
    )
    mixed = [e for pair in zip(conv_a, conv_b, strict=True) for e in pair]
    await send(bus, mixed)
    assert await watcher.until(lambda: watcher.packets_for(a) and watcher.packets_for(b))
    pa, pb = watcher.packets_for(a)[0], watcher.packets_for(b)[0]
    assert {t.text for t in pa.transcript} == {
        e.text for e in conv_a if isinstance(e, ConversationTurn)
    }
    assert {t.text for t in pb.transcript} == {
        e.text for e in conv_b if isinstance(e, ConversationTurn)
    }
    assert {f.value for f in pa.facts if f.kind == "order_number"} == {"AAA111"}
    assert {f.value for f in pb.facts if f.kind == "order_number"} == {"BBB222"}
    assert pa.queue != pb.queue or pa.reasons != pb.reasons


FULL_PIPELINE = (
    human_request_gives_one_full_packet,
    routine_conversation_gives_no_packet,
    duplicates_change_nothing,
    malformed_goes_to_dlq_and_processing_goes_on,
    interleaved_sessions_stay_apart,
)
CONTEXT_ONLY = (
    late_out_of_order_analyses_still_complete,
    missing_analysis_is_marked_after_the_wait,
)


async def one_handoff_per_episode_then_hand_back(bus: Bus, watcher: Watcher) -> None:
    """Later triggers update the open handoff; the bot pauses once; a hand-back reopens."""
    s = sid("episode")
    first = conversation(
        s,
        [
            ("customer", "I want to talk to a real person"),
            ("customer", "there is a charge I didn't make on my card, this is fraud"),
        ],
    )
    await send(bus, first)
    assert await watcher.until(
        lambda: watcher.packets_for(s) and len(watcher.decisions_for(s)) >= 2
    )
    assert await watcher.until(lambda: [u for u in watcher.updates if u.session_id == s])
    await watcher.settle(0.5)
    assert len(watcher.packets_for(s)) == 1
    packet = watcher.packets_for(s)[0]
    update = next(u for u in watcher.updates if u.session_id == s)
    assert update.packet_id == packet.packet_id
    assert "sensitive_topic" in {r.code for r in update.reasons}
    pauses = [c for c in watcher.controls if c.session_id == s and c.command == "bot.pause"]
    assert len(pauses) == 1 and pauses[0].episode == 1

    back = SessionHandedBack(tenant_id=TENANT, session_id=s, seq=2, agent_id="agent-7")
    again = ConversationTurn(
        event_id=derived_id(TENANT, s, 3, "turn"),
        tenant_id=TENANT,
        session_id=s,
        seq=3,
        role=Role.CUSTOMER,
        text="sorry, can I speak to an agent again please",
    )
    await send(bus, [back])
    await asyncio.sleep(0.3)
    await send(bus, [again])
    assert await watcher.until(lambda: len(watcher.packets_for(s)) == 2)
    second = next(p for p in watcher.packets_for(s) if p.episode == 2)
    assert second.packet_id != packet.packet_id
    assert [r.code for r in second.reasons] == ["explicit_request"]
    controls = [(c.command, c.episode) for c in watcher.controls if c.session_id == s]
    assert ("bot.resume", 1) in controls
    assert ("bot.pause", 2) in controls


FULL_PIPELINE = (*FULL_PIPELINE, one_handoff_per_episode_then_hand_back)


async def packets_are_redacted_unless_consented(bus: Bus, watcher: Watcher) -> None:
    """Cards are always masked; emails only without the customer's consent."""
    plain, consented = sid("pii"), sid("pii-ok")
    texts = [
        (
            "customer",
            "my card 4111 1111 1111 1111 was charged for order #A77123, mail me at ann@example.com",
        ),
        ("customer", "I want to talk to a real person"),
    ]
    convs = conversation(plain, texts) + [
        e.model_copy(update={"metadata": {"pii_consent": True}})
        for e in conversation(consented, texts)
    ]
    await send(bus, convs)
    assert await watcher.until(
        lambda: watcher.packets_for(plain) and watcher.packets_for(consented)
    )
    p, c = watcher.packets_for(plain)[0], watcher.packets_for(consented)[0]
    body, body_ok = p.model_dump_json(), c.model_dump_json()
    for b in (body, body_ok):
        assert "4111 1111 1111 1111" not in b
        assert "[CARD ****1111]" in b
        assert "A77123" in b, "order numbers are kept for the agent"
    assert "ann@example.com" not in body and "[EMAIL]" in body
    assert "ann@example.com" in body_ok


FULL_PIPELINE = (*FULL_PIPELINE, packets_are_redacted_unless_consented)
