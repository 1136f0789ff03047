"""Failures on the real stack: a service killed mid-stream, Redis going away, a broker restart.

The four services run as processes on the real broker. Conversations keep coming while a
service is dead or Redis is down; afterwards every customer turn has its decision, every
session that had to escalate has exactly one packet (re-sends carry the same bytes), the
transcripts are whole, and nothing was dead-lettered. At-least-once delivery may repeat a
message; it must never lose or contradict one.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
import redis.asyncio as aioredis
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from services.bench.traffic import conversation
from services.cli.supervisor import Supervisor
from shared.bus.kafka import KafkaBus, drop_topics
from shared.schemas.events import ConversationTurn, Role
from shared.schemas.topics import ALL_TOPICS, CONVERSATION_EVENTS, DECISIONS, DLQ, HANDOFF_PACKETS
from tests.conftest import Infra
from tests.local_servers import LocalServer, own_kafka, own_redis, port_answers, started

pytestmark = pytest.mark.e2e

CORE = ["intent", "sentiment", "escalation", "context"]
PARTITIONS = 2


@dataclass
class Outputs:
    """Everything the stack wrote to decisions, packets and the dead-letter topic."""

    decisions: dict[tuple[str, int], list[dict[str, Any]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    packets: dict[str, list[bytes]] = field(default_factory=lambda: defaultdict(list))
    dead_letters: list[bytes] = field(default_factory=list)


class Collector:
    """Read the output topics from their beginning for as long as the test runs."""

    def __init__(self, bootstrap: str, prefix: str) -> None:
        self.out = Outputs()
        self._prefix = prefix
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False
        )
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._consumer.start()
        tps = [
            TopicPartition(self._prefix + t.name, p)
            for t in (DECISIONS, HANDOFF_PACKETS, DLQ)
            for p in range(PARTITIONS)
        ]
        self._consumer.assign(tps)
        await self._consumer.seek_to_beginning(*tps)
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            batches = await self._consumer.getmany(timeout_ms=100)
            for tp, records in batches.items():
                topic = tp.topic[len(self._prefix) :]
                for r in records:
                    value = r.value or b""
                    if topic == DLQ.name:
                        self.out.dead_letters.append(value)
                        continue
                    body = orjson.loads(value)
                    if topic == DECISIONS.name:
                        self.out.decisions[(body["session_id"], body["seq"])].append(body)
                    elif body["event_type"] == "handoff.packet":
                        self.out.packets[body["session_id"]].append(value)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._consumer.stop()


@dataclass
class Traffic:
    turns: list[ConversationTurn]
    escalating: set[str]

    @property
    def customer_turns(self) -> set[tuple[str, int]]:
        return {(t.session_id, t.seq) for t in self.turns if t.role is Role.CUSTOMER}

    def turn_count(self, session_id: str) -> int:
        return sum(1 for t in self.turns if t.session_id == session_id)


def traffic(label: str, sessions: int, seed: int) -> Traffic:
    """Interleaved conversations; every fourth one ends in a clear reason to hand off."""
    rng = random.Random(seed)
    run = uuid.uuid4().hex[:6]
    convs = [
        conversation(
            "acme", f"{label}-{run}-{i:03d}", customer_turns=3, escalate=i % 4 == 0, rng=rng
        )
        for i in range(sessions)
    ]
    escalating = {c[0].session_id for i, c in enumerate(convs) if i % 4 == 0}
    ordered = [c[step] for step in range(max(map(len, convs))) for c in convs if step < len(c)]
    return Traffic(ordered, escalating)


async def send(bootstrap: str, topic: str, turns: list[ConversationTurn]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for t in turns:
            await producer.send(topic, value=t.model_dump_json().encode(), key=t.key)
        await producer.flush()
    finally:
        await producer.stop()


async def settled(collector: Collector, expected: Traffic, timeout: float = 90.0) -> None:
    """Wait until every customer turn is decided and every escalating session has a packet."""
    deadline = time.monotonic() + timeout
    out = collector.out
    while time.monotonic() < deadline:
        if expected.customer_turns <= out.decisions.keys() and expected.escalating <= set(
            out.packets
        ):
            await asyncio.sleep(1.0)  # a re-send or a late duplicate would show up now
            return
        await asyncio.sleep(0.2)
    missing_decisions = len(expected.customer_turns - out.decisions.keys())
    missing_packets = sorted(expected.escalating - set(out.packets))
    raise AssertionError(
        f"not settled: {missing_decisions} turns without a decision, "
        f"sessions without a packet: {missing_packets}"
    )


def check_outputs(out: Outputs, expected: Traffic) -> None:
    assert out.dead_letters == []
    assert expected.customer_turns <= out.decisions.keys()
    for key, copies in out.decisions.items():
        # A redelivered turn may be decided again: same event id, same verdict.
        assert len({c["event_id"] for c in copies}) == 1, key
        assert len({(c["action"], c["episode"]) for c in copies}) == 1, key
    assert expected.escalating <= set(out.packets)
    for session_id, sent in out.packets.items():
        assert len(set(sent)) == 1, f"{session_id}: {len(set(sent))} different packets"
        packet = orjson.loads(sent[0])
        assert len(packet["transcript"]) == expected.turn_count(session_id), session_id
        assert packet["missing"] == [], session_id


@dataclass
class Stack:
    sup: Supervisor
    collector: Collector
    topic_in: str
    kafka: str


@pytest.fixture
async def prefix(infra: Infra) -> AsyncIterator[str]:
    name = f"fail{uuid.uuid4().hex[:6]}."
    await KafkaBus(infra.kafka, topic_prefix=name).ensure_topics(
        [t.name for t in ALL_TOPICS], partitions=PARTITIONS
    )
    yield name
    await drop_topics(infra.kafka, name)


@contextlib.asynccontextmanager
async def running(infra: Infra, prefix: str, redis_url: str) -> AsyncIterator[Stack]:
    sup = Supervisor(
        CORE,
        env={
            "KAFKA_BOOTSTRAP_SERVERS": infra.kafka,
            "REDIS_URL": redis_url,
            "BATON_TOPIC_PREFIX": prefix,
            "BATON_CONSUMER_GROUP_PREFIX": prefix.rstrip("."),
            "BATON_LOG_LEVEL": "WARNING",
            # Turns sent while a service is down arrive late by design: the packet must not
            # be built early with analyses marked missing.
            "BATON_PACKET_MAX_WAIT_SECONDS": "60",
        },
        port_offset=300,
    )
    collector = Collector(infra.kafka, prefix)
    await sup.start()
    try:
        await sup.wait_ready(timeout=120)
        await collector.start()
        yield Stack(sup, collector, prefix + CONVERSATION_EVENTS.name, infra.kafka)
    finally:
        await collector.stop()
        await sup.stop()


@pytest.fixture
async def stack(infra: Infra, prefix: str) -> AsyncIterator[Stack]:
    async with running(infra, prefix, infra.redis_url) as s:
        yield s


async def survives(
    stack: Stack,
    load: Traffic,
    *,
    outage: Callable[[], Awaitable[None]],
    recovery: Callable[[], Awaitable[None]],
    down_for: float = 1.0,
) -> None:
    """Send half the traffic, cause the outage, send the rest, recover, then check it all."""
    half = len(load.turns) // 2
    await send(stack.kafka, stack.topic_in, load.turns[:half])
    await asyncio.sleep(0.5)  # some of it still being worked on
    await outage()
    await send(stack.kafka, stack.topic_in, load.turns[half:])
    await asyncio.sleep(down_for)
    await recovery()
    await settled(stack.collector, load)
    check_outputs(stack.collector.out, load)
    assert stack.sup.crashed() == []


async def test_services_killed_mid_stream_lose_nothing_and_send_one_packet_per_handoff(
    stack: Stack,
) -> None:
    # Killed while batches are handled and published but not committed, and packets
    # claimed in Redis but maybe not sent.
    async def kill() -> None:
        for name in ("escalation", "context"):
            await stack.sup.kill(name)

    async def restart() -> None:
        await stack.sup.kill("intent")
        for name in ("escalation", "context", "intent"):
            await stack.sup.restart(name)

    await survives(stack, traffic("crash", sessions=40, seed=11), outage=kill, recovery=restart)


@pytest.fixture
def redis_of_our_own(tmp_path: Path) -> Iterator[LocalServer]:
    with started(own_redis(tmp_path)) as redis:
        yield redis


async def test_redis_going_away_and_coming_back_loses_nothing(
    infra: Infra, prefix: str, redis_of_our_own: LocalServer
) -> None:
    redis = redis_of_our_own
    url = f"redis://127.0.0.1:{redis.port}/0"

    # Down with its data saved, as a restart for maintenance would: the services see
    # refused connections until it is back, and must retry rather than skip or crash.
    async def shut_down() -> None:
        client = aioredis.Redis.from_url(url)
        await client.shutdown(save=True)
        await client.aclose()
        assert not port_answers(redis.port)

    async with running(infra, prefix, url) as stack:

        async def start() -> None:
            assert stack.sup.crashed() == [], "a service died while Redis was down"
            redis.run("start")

        load = traffic("redis", sessions=40, seed=12)
        await survives(stack, load, outage=shut_down, recovery=start, down_for=3.0)


@pytest.fixture
def kafka_of_our_own(tmp_path: Path) -> Iterator[LocalServer]:
    with started(own_kafka(tmp_path)) as kafka:
        yield kafka


async def test_a_broker_restart_loses_nothing(
    infra: Infra, kafka_of_our_own: LocalServer, unique: str
) -> None:
    kafka = kafka_of_our_own
    own = Infra(f"127.0.0.1:{kafka.port}", infra.redis_url)
    name = f"brk{unique[:6]}."
    await KafkaBus(own.kafka, topic_prefix=name).ensure_topics(
        [t.name for t in ALL_TOPICS], partitions=PARTITIONS
    )

    # A rolling upgrade of a one-node cluster: the broker stops cleanly and comes back on
    # the same data while every service keeps running.
    async def restart() -> None:
        kafka.run("stop")
        await asyncio.sleep(2.0)
        kafka.run("start")

    async def nothing() -> None:
        return None

    async with running(own, name, infra.redis_url) as stack:
        load = traffic("broker", sessions=40, seed=13)
        await survives(stack, load, outage=restart, recovery=nothing)
