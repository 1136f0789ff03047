"""The ingest gateway publishing to a real Kafka broker."""

from __future__ import annotations

import json
import uuid

import pytest
from aiokafka import AIOKafkaConsumer

from shared.bus.kafka import KafkaBus, drop_topics
from tests.conftest import Infra
from tests.gateway_checks import check_gateway, originals

pytestmark = pytest.mark.integration


async def test_gateway_on_kafka(infra: Infra) -> None:
    prefix = f"gw{uuid.uuid4().hex[:8]}."
    bus = KafkaBus(infra.kafka, topic_prefix=prefix)
    await bus.ensure_topics(["baton.conversation.events", "baton.dlq"], partitions=2)
    accepted, refused = await check_gateway(bus)
    consumer = AIOKafkaConsumer(
        prefix + "baton.conversation.events",
        prefix + "baton.dlq",
        bootstrap_servers=infra.kafka,
        auto_offset_reset="earliest",
        group_id=None,
    )
    await consumer.start()
    events: list[str] = []
    dead: list[bytes] = []
    try:
        for _ in range(100):
            batch = await consumer.getmany(timeout_ms=200)
            for tp, records in batch.items():
                for r in records:
                    if tp.topic.endswith("baton.dlq"):
                        dead.append(r.value or b"")
                    else:
                        events.append(json.loads(r.value or b"{}")["event_id"])
            if len(events) >= len(accepted) and len(dead) >= len(refused):
                break
    finally:
        await consumer.stop()
        await drop_topics(infra.kafka, prefix)
    assert sorted(events) == sorted(accepted)
    assert sorted(originals(dead)) == sorted(refused)
