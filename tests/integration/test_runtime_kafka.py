"""The stream runner on a real broker: what it commits is exactly what it handled."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.bus.base import Message
from shared.bus.codec import to_message
from shared.bus.kafka import KafkaBus, KafkaSubscription, drop_topics
from shared.runtime import StreamApp, StreamRunner
from shared.schemas.envelope import Envelope
from shared.schemas.events import ConversationTurn, Role
from shared.schemas.topics import CONVERSATION_EVENTS, DECISIONS
from tests.conftest import Infra

pytestmark = pytest.mark.integration


async def test_commits_reach_the_end_of_what_was_handled(infra: Infra) -> None:
    prefix = f"t{uuid.uuid4().hex[:8]}."
    bus = KafkaBus(infra.kafka, topic_prefix=prefix)
    await bus.ensure_topics([CONVERSATION_EVENTS.name, DECISIONS.name], partitions=3)
    seen: list[str] = []

    async def handle(events: Sequence[Envelope]) -> list[Message]:
        seen.extend(e.session_id for e in events)
        return [to_message(DECISIONS, e) for e in events]

    app = StreamApp(name="echo", consumes=(CONVERSATION_EVENTS,), handle=handle)
    runner = StreamRunner(app, bus, group_prefix=prefix, max_records=7)  # several batches
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        await asyncio.wait_for(runner.ready.wait(), 30)
        publisher = bus.publisher(client_id="t")
        await publisher.start()
        turns = [
            ConversationTurn(
                tenant_id="t", session_id=f"s{i % 5}", seq=i + 1, role=Role.CUSTOMER, text="x"
            )
            for i in range(60)
        ]
        await publisher.publish([to_message(CONVERSATION_EVENTS, t) for t in turns])
        await publisher.stop()
        for _ in range(300):
            if len(seen) >= len(turns):
                break
            await asyncio.sleep(0.05)
        assert len(seen) == len(turns)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
    consumer = AIOKafkaConsumer(bootstrap_servers=infra.kafka, group_id=f"{prefix}.echo")
    await consumer.start()
    try:
        parts = [TopicPartition(prefix + CONVERSATION_EVENTS.name, p) for p in range(3)]
        committed = [await consumer.committed(tp) or 0 for tp in parts]
        ends = await consumer.end_offsets(parts)
    finally:
        await consumer.stop()
        await drop_topics(infra.kafka, prefix)
    assert committed == [ends[tp] for tp in parts], "every handled record is committed, no more"
    assert sum(committed) == len(turns)


async def test_publisher_keeps_order_per_key_and_sends_records_larger_than_a_batch(
    infra: Infra,
) -> None:
    prefix = f"t{uuid.uuid4().hex[:8]}."
    bus = KafkaBus(infra.kafka, topic_prefix=prefix)
    await bus.ensure_topics(["x"], partitions=3)
    big = b"b" * (300 * 1024)  # over the producer's 256 KiB batch size
    messages = [
        Message("x", f"k{i % 4}".encode(), big if i == 5 else f"{i}".encode()) for i in range(40)
    ]
    publisher = bus.publisher(client_id="t")
    await publisher.start()
    try:
        await publisher.publish(messages)
    finally:
        await publisher.stop()
    consumer = AIOKafkaConsumer(
        prefix + "x", bootstrap_servers=infra.kafka, auto_offset_reset="earliest"
    )
    await consumer.start()
    got: dict[bytes, list[bytes]] = {}
    try:
        for _ in range(50):
            for records in (await consumer.getmany(timeout_ms=200)).values():
                for r in records:
                    got.setdefault(r.key or b"", []).append(r.value or b"")
            if sum(len(v) for v in got.values()) >= len(messages):
                break
    finally:
        await consumer.stop()
        await drop_topics(infra.kafka, prefix)
    want: dict[bytes, list[bytes]] = {}
    for m in messages:
        want.setdefault(m.key, []).append(m.value)
    assert got == want


async def test_headers_travel_with_messages_through_the_broker(infra: Infra) -> None:
    prefix = f"t{uuid.uuid4().hex[:8]}."
    bus = KafkaBus(infra.kafka, topic_prefix=prefix)
    await bus.ensure_topics(["h"], partitions=1)
    publisher = bus.publisher(client_id="t")
    await publisher.start()
    try:
        await publisher.publish(
            [
                Message("h", b"k", b"1", (("baton-action", b"transfer"), ("x", b""))),
                Message("h", b"k", b"2"),
            ]
        )
    finally:
        await publisher.stop()
    sub = bus.subscription(["h"], group=f"{prefix}g", client_id="t")
    await sub.start()
    got = []
    try:
        for _ in range(50):
            got += await sub.poll(max_records=10, timeout_ms=200)
            if len(got) >= 2:
                break
    finally:
        await sub.stop()
        await drop_topics(infra.kafka, prefix)
    assert [(r.value, r.headers) for r in got] == [
        (b"1", (("baton-action", b"transfer"), ("x", b""))),
        (b"2", ()),
    ]


async def test_an_idle_subscription_answers_a_lone_record_without_the_gathering_wait(
    infra: Infra,
) -> None:
    prefix = f"t{uuid.uuid4().hex[:8]}."
    bus = KafkaBus(infra.kafka, topic_prefix=prefix)
    await bus.ensure_topics([CONVERSATION_EVENTS.name], partitions=2)
    # Gathering, the broker would hold a lone record for the whole 2 s wait: 1 MiB never comes.
    subscription = KafkaSubscription(
        infra.kafka,
        [CONVERSATION_EVENTS.name],
        group=f"{prefix}g",
        client_id="t",
        prefix=prefix,
        fetch_min_bytes=1 << 20,
        fetch_max_wait_ms=2000,
        idle_fetch_wait_ms=5000,
    )
    await subscription.start()
    publisher = bus.publisher(client_id="t")
    await publisher.start()
    try:
        deadline = time.monotonic() + 30
        while not subscription.idle:  # joins the group, then finds nothing for twice the wait
            assert time.monotonic() < deadline, "never went idle"
            assert await subscription.poll(max_records=10, timeout_ms=500) == []
        turn = ConversationTurn(tenant_id="t", session_id="s", seq=1, role=Role.CUSTOMER, text="x")
        await asyncio.sleep(2.2)  # the last gathering fetch is over: the broker holds an idle one
        sent = time.monotonic()
        await publisher.publish([to_message(CONVERSATION_EVENTS, turn)])
        records = []
        while not records and time.monotonic() - sent < 10:
            records = await subscription.poll(max_records=10, timeout_ms=100)
        took = time.monotonic() - sent
        assert [r.value for r in records] == [to_message(CONVERSATION_EVENTS, turn).value]
        assert took < 1.0, f"a lone record took {took:.2f} s: the broker held it for the wait"
        assert not subscription.idle  # records switch gathering back on
    finally:
        await publisher.stop()
        await subscription.stop()
        await drop_topics(infra.kafka, prefix)
