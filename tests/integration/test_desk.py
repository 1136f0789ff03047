"""The agent-desktop gateway on real Kafka and Redis: isolation, backlog, actions, SLA."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
import websockets
from aiokafka import AIOKafkaConsumer

from services.desk.app import create_app
from services.desk.settings import DeskSettings
from services.desk.tokens import issue
from shared.bus.base import Message
from shared.bus.codec import to_message
from shared.bus.kafka import KafkaBus, drop_topics
from shared.schemas.events import Action, Channel, HandoffPacketBuilt, Reason, SentimentTrajectory
from shared.schemas.topics import ALL_TOPICS, HANDOFF_PACKETS
from shared.state.redis import RedisStateStore
from tests.conftest import Infra

pytestmark = pytest.mark.integration
SECRETS = {"acme": "acme-secret-" + "a" * 32, "globex": "globex-secret-" + "g" * 32}


async def publish_to(bus: KafkaBus, messages: list[Message]) -> None:
    publisher = bus.publisher(client_id="test-desk")
    await publisher.start()
    try:
        await publisher.publish(messages)
    finally:
        await publisher.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Desk:
    url: str
    bus: KafkaBus
    prefix: str

    def token(self, tenant: str, agent: str, queues: list[str]) -> str:
        return issue(SECRETS, tenant_id=tenant, agent_id=agent, queues=queues, ttl_seconds=600)

    def auth(self, tenant: str, agent: str, queues: list[str]) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(tenant, agent, queues)}"}


@pytest.fixture(scope="module")
async def desk(infra: Infra) -> AsyncIterator[Desk]:
    prefix = f"desk{uuid.uuid4().hex[:6]}."
    bus = KafkaBus(infra.kafka, topic_prefix=prefix)
    await bus.ensure_topics([t.name for t in ALL_TOPICS], partitions=2)
    store = RedisStateStore.from_url(infra.redis_url)
    settings = DeskSettings(
        desk_secrets=SECRETS,
        sla_check_seconds=0.2,
        consumer_group_prefix=prefix.rstrip("."),
        topic_prefix=prefix,
    )
    port = free_port()
    config = uvicorn.Config(
        create_app(settings, bus, store),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=3,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient() as client:
        for _ in range(100):
            if (await client.get(f"{url}/readyz")).status_code == 200:
                break
            await asyncio.sleep(0.1)
    yield Desk(url, bus, prefix)
    server.should_exit = True
    await task
    await store.close()
    await drop_topics(infra.kafka, prefix)


def packet(tenant: str, queue: str = "general", sla: int = 120) -> HandoffPacketBuilt:
    sid = f"s-{uuid.uuid4().hex[:8]}"
    return HandoffPacketBuilt(
        tenant_id=tenant,
        session_id=sid,
        seq=2,
        packet_id=f"p-{uuid.uuid4().hex[:8]}",
        episode=1,
        decided_seq=2,
        action=Action.TRANSFER,
        reasons=[Reason(code="explicit_request", detail="asked for a person", turns=[2])],
        priority=3,
        queue=queue,
        channel=Channel.CHAT,
        summary=f"summary for {sid}",
        transcript=[],
        intents=[],
        sentiment=SentimentTrajectory(),
        facts=[],
        sla_seconds=sla,
    )


async def ws_messages(url: str, token: str, want: int, timeout: float = 15) -> list[Any]:
    got: list[Any] = []
    ws_url = url.replace("http", "ws") + f"/v1/desk/ws?token={token}"
    async with websockets.connect(ws_url) as ws:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while len(got) < want:
                    got.append(json.loads(await ws.recv()))
    return got


async def read_events(desk: Desk, packet_id: str, *, want: int, timeout: float = 15) -> list[Any]:
    consumer = AIOKafkaConsumer(
        desk.prefix + "baton.handoff.events",
        desk.prefix + "baton.control",
        bootstrap_servers=desk.bus.bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    found: list[Any] = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(found) < want and asyncio.get_running_loop().time() < deadline:
            for records in (await consumer.getmany(timeout_ms=300)).values():
                for r in records:
                    body = json.loads(r.value or b"{}")
                    if body.get("packet_id") == packet_id:
                        found.append(body)
    finally:
        await consumer.stop()
    return sorted(found, key=lambda e: str(e["occurred_at"]))


async def test_agents_see_only_their_tenant_and_queues(desk: Desk) -> None:
    general, fraud, other = packet("acme"), packet("acme", "fraud"), packet("globex")
    token = desk.token("acme", "a1", ["general"])
    listener = asyncio.create_task(ws_messages(desk.url, token, want=3, timeout=6))
    await asyncio.sleep(0.5)
    await publish_to(desk.bus, [to_message(HANDOFF_PACKETS, p) for p in (general, fraud, other)])
    msgs = await listener
    seen = {m["item"]["packet"]["packet_id"] for m in msgs if m.get("type") == "packet"}
    assert general.packet_id in seen
    assert fraud.packet_id not in seen, "queue filter"
    assert other.packet_id not in seen, "tenant isolation"

    # A new connection gets the backlog of what is not accepted yet, for its tenant only.
    (backlog,) = await ws_messages(desk.url, desk.token("globex", "g1", ["*"]), want=1)
    ids = {i["packet"]["packet_id"] for i in backlog["items"]}
    assert other.packet_id in ids
    assert general.packet_id not in ids
    assert fraud.packet_id not in ids


async def test_sse_stream_starts_with_the_backlog(desk: Desk) -> None:
    p = packet("globex", "sse-queue")
    await publish_to(desk.bus, [to_message(HANDOFF_PACKETS, p)])
    token = desk.token("globex", "g2", ["sse-queue"])
    async with httpx.AsyncClient(timeout=10) as c:
        for _ in range(50):
            async with c.stream("GET", f"{desk.url}/v1/desk/events?token={token}") as r:
                assert r.status_code == 200
                lines = r.aiter_lines()
                first = await anext(lines)
                data = await anext(lines)
            assert first == "event: backlog"
            if p.packet_id in data:
                break
            await asyncio.sleep(0.2)
        assert p.packet_id in data
        bad = await c.get(f"{desk.url}/v1/desk/events?token=nope")
        assert bad.status_code == 401


async def test_accept_once_release_transfer_feedback_and_bad_tokens(desk: Desk) -> None:
    p = packet("acme")
    await publish_to(desk.bus, [to_message(HANDOFF_PACKETS, p)])
    a1 = desk.auth("acme", "a1", ["general"])
    a2 = desk.auth("acme", "a2", ["general", "billing"])
    g1 = desk.auth("globex", "g1", ["*"])
    base = f"{desk.url}/v1/desk/handoffs/{p.packet_id}"
    async with httpx.AsyncClient() as c:
        for _ in range(100):
            items = (await c.get(f"{desk.url}/v1/desk/queue", headers=a1)).json()["items"]
            if any(i["packet"]["packet_id"] == p.packet_id for i in items):
                break
            await asyncio.sleep(0.1)
        assert (await c.post(f"{base}/accept", headers=g1)).status_code == 404, "other tenant"
        assert (await c.post(f"{base}/accept")).status_code == 401
        forged = {"Authorization": "Bearer forged"}
        assert (await c.post(f"{base}/accept", headers=forged)).status_code == 401
        first, second = await asyncio.gather(
            c.post(f"{base}/accept", headers=a1), c.post(f"{base}/accept", headers=a2)
        )
        codes = sorted([first.status_code, second.status_code])
        assert codes == [200, 409], "accepted exactly once"
        owner, other = (a1, a2) if first.status_code == 200 else (a2, a1)
        assert (await c.post(f"{base}/release", headers=other)).status_code == 409
        assert (await c.post(f"{base}/release", headers=owner)).status_code == 200
        moved = await c.post(f"{base}/transfer", headers=a2, json={"to_queue": "billing"})
        assert moved.status_code == 200
        assert (await c.post(f"{base}/transfer", headers=a2, json={})).status_code == 422
        rated = await c.post(
            f"{base}/feedback", headers=a2, json={"rating": 4, "missing_facts": ["order date"]}
        )
        assert rated.status_code == 200
        assert (await c.post(f"{base}/feedback", headers=a2, json={"rating": 9})).status_code == 422
    events = await read_events(desk, p.packet_id, want=4)
    assert [e["event_type"] for e in events] == [
        "handoff.accepted",
        "handoff.released",
        "handoff.transferred",
        "context.feedback",
    ]
    assert events[0]["within_sla"] is True


async def test_sla_breach_raises_priority_reroutes_and_tells_the_customer(desk: Desk) -> None:
    p = packet("acme", queue="general", sla=1)
    await publish_to(desk.bus, [to_message(HANDOFF_PACKETS, p)])
    events = await read_events(desk, p.packet_id, want=2, timeout=15)
    kinds = {e["event_type"]: e for e in events}
    breach = kinds["handoff.sla_breached"]
    assert (breach["from_queue"], breach["to_queue"]) == ("general", "general-overflow")
    assert breach["priority"] == 2
    notice = kinds["customer.notice"]
    assert notice["offer_callback"] is True
    assert "wait" in notice["text"]
