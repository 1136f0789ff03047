"""The real processes: `baton run <service>` x4 and `baton gateway`, on real Kafka and Redis.

A platform posts a conversation to the HTTP gateway; an agent desktop reading
baton.handoff.packets gets one packet with the transcript and the CRM profile.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import websockets
from aiokafka import AIOKafkaConsumer

from services.cli.registry import SERVICES
from services.cli.supervisor import Supervisor
from services.desk.tokens import issue
from services.replay.runner import replay_live
from services.traffic.conversations import RecordedConversation
from shared.bus.kafka import KafkaBus, drop_topics
from shared.customers.crm import StoredCustomerDirectory, profile_from_row
from shared.schemas.events import HandoffPacketBuilt
from shared.schemas.topics import ALL_TOPICS
from shared.state.redis import RedisStateStore
from tests.conftest import Infra
from tests.gateway_checks import chatwoot_message, chatwoot_signed

pytestmark = pytest.mark.e2e

GATEWAY_PORT = 18080
DESK_PORT = 18081
DESK_SECRET = "e2e-desk-secret-" + "x" * 32
INGEST_SECRET = "e2e-chatwoot-secret"


@pytest.fixture(scope="module")
async def stack(infra: Infra) -> AsyncIterator[str]:
    prefix = f"e2e{uuid.uuid4().hex[:6]}."
    await KafkaBus(infra.kafka, topic_prefix=prefix).ensure_topics(
        [t.name for t in ALL_TOPICS], partitions=2
    )
    sup = Supervisor(
        list(SERVICES),
        env={
            "KAFKA_BOOTSTRAP_SERVERS": infra.kafka,
            "REDIS_URL": infra.redis_url,
            "BATON_TOPIC_PREFIX": prefix,
            "BATON_CONSUMER_GROUP_PREFIX": prefix.rstrip("."),
            "BATON_LOG_LEVEL": "WARNING",
            "BATON_DESK_SECRETS": json.dumps({"acme": DESK_SECRET}),
            "BATON_INGEST_SECRETS": json.dumps({"acme": {"chatwoot": INGEST_SECRET}}),
        },
        port_offset=200,
        gateway_port=GATEWAY_PORT,
        desk_port=DESK_PORT,
    )
    await sup.start()
    try:
        await sup.wait_ready(timeout=120)
        yield prefix
        assert sup.crashed() == [], "a service died during the test"
    finally:
        await sup.stop()
        await drop_topics(infra.kafka, prefix)


async def test_gateway_to_packet_through_the_service_processes(infra: Infra, stack: str) -> None:
    prefix = stack
    session = f"e2e-{uuid.uuid4().hex[:8]}"
    customer = f"C-{uuid.uuid4().hex[:6]}"
    store = RedisStateStore.from_url(infra.redis_url)
    await StoredCustomerDirectory(store).load(
        "acme", [profile_from_row({"customer_id": customer, "name": "Ann Lee", "tier": "gold"})]
    )
    await store.close()
    texts = [
        ("customer", "Hi, my parcel for order #Z99812 never came"),
        ("bot", "Sorry! Order Z99812 shows as delivered."),
        ("customer", "It was not delivered. Let me speak to a real person now"),
    ]
    events = [
        {
            "event_type": "conversation.turn",
            "tenant_id": "acme",
            "session_id": session,
            "seq": i,
            "role": role,
            "text": text,
            "customer_id": customer,
        }
        for i, (role, text) in enumerate(texts, 1)
    ]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{GATEWAY_PORT}") as client:
        r = await client.post("/v1/events", json=events)
        assert r.status_code == 202, r.text
        bad = await client.post(
            "/v1/events", content=b"{oops", headers={"content-type": "application/json"}
        )
        assert bad.status_code == 400

    consumer = AIOKafkaConsumer(
        prefix + "baton.handoff.packets",
        bootstrap_servers=infra.kafka,
        group_id=None,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    packets: list[HandoffPacketBuilt] = []
    try:
        deadline = asyncio.get_running_loop().time() + 60
        while not packets and asyncio.get_running_loop().time() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                packets += [
                    p
                    for r in records
                    if (p := HandoffPacketBuilt.model_validate_json(r.value or b"")).session_id
                    == session
                ]
        await asyncio.sleep(1.0)
        for records in (await consumer.getmany(timeout_ms=500)).values():
            packets += [
                p
                for r in records
                if (p := HandoffPacketBuilt.model_validate_json(r.value or b"")).session_id
                == session
            ]
    finally:
        await consumer.stop()
    assert len(packets) == 1
    p = packets[0]
    assert [t.text for t in p.transcript] == [t for _, t in texts]
    assert "explicit_request" in {r.code for r in p.reasons}
    assert p.customer is not None and p.customer.name == "Ann Lee"
    assert any(f.kind == "order_number" and f.value == "Z99812" for f in p.facts)


async def test_chatwoot_webhook_reaches_an_agents_websocket(stack: str) -> None:
    """A platform payload in; the escalation comes out on the desk of the right tenant only."""
    conversation = int(uuid.uuid4().int % 1_000_000)
    token = issue(
        {"acme": DESK_SECRET}, tenant_id="acme", agent_id="a1", queues=["*"], ttl_seconds=600
    )
    ws_url = f"ws://127.0.0.1:{DESK_PORT}/v1/desk/ws?token={token}"
    async with websockets.connect(ws_url) as ws:
        backlog = json.loads(await ws.recv())
        assert backlog["type"] == "backlog"
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{GATEWAY_PORT}") as client:
            for mid, text in enumerate(
                ["Hi, my parcel for order #Q55120 is late", "Can I talk to a real person please"],
                start=1,
            ):
                body = json.dumps(
                    chatwoot_message(
                        conversation * 10 + mid,
                        text,
                        conversation=conversation,
                        contact=conversation,
                    )
                ).encode()
                r = await client.post(
                    "/v1/ingest/chatwoot?tenant=acme",
                    content=body,
                    headers=chatwoot_signed(body, INGEST_SECRET),
                )
                assert r.status_code == 202, r.text
            forged = await client.post(
                "/v1/ingest/chatwoot?tenant=acme",
                content=body,
                headers=chatwoot_signed(body, "not-the-secret"),
            )
            assert forged.status_code == 401
        session = f"chatwoot:2:{conversation}"
        async with asyncio.timeout(60):
            while True:
                msg = json.loads(await ws.recv())
                if msg.get("type") == "packet" and msg["item"]["packet"]["session_id"] == session:
                    break
    packet = msg["item"]["packet"]
    assert [t["text"] for t in packet["transcript"]][-1] == "Can I talk to a real person please"
    assert "explicit_request" in {r["code"] for r in packet["reasons"]}


async def test_replay_live_through_the_running_services(infra: Infra, stack: str) -> None:
    """Shadow mode: recorded conversations through the real processes, same outcomes."""
    rows = [
        json.loads(line)
        for line in (Path(__file__).parents[1] / "data" / "scenarios.jsonl")
        .read_text()
        .splitlines()
        if line.strip()
    ][:6]
    run = uuid.uuid4().hex[:6]  # fresh customers: no history from earlier runs on this Redis
    conversations = [
        RecordedConversation.model_validate(
            {**r, "customer": {**r.get("customer", {}), "id": f"{r['customer']['id']}-{run}"}}
        )
        for r in rows
    ]
    live = await replay_live(conversations, infra.kafka, topic_prefix=stack, timeout_s=60)
    by_id = {o.conversation_id: o for o in live}
    for row in rows:
        want, got = row["expect"], by_id[row["id"]]
        if "action" in want:
            assert got.action == want["action"], got
        if "reason" in want:
            assert want["reason"] in got.reasons, got
