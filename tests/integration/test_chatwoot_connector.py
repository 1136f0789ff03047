"""The Chatwoot connector on real Kafka and Redis, writing to a local HTTP server that holds
every request to Chatwoot's documented Application API (see tests/unit/chatwoot/fake_chatwoot.py).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest
from aiohttp import web
from pydantic import TypeAdapter

from services.chatwoot.app import bootstrap
from services.chatwoot.events import CONNECTOR_EVENTS, ConnectorDelivered, ConnectorFailed
from services.chatwoot.settings import ChatwootSettings
from shared.bus.codec import to_message
from shared.bus.kafka import KafkaBus, KafkaSubscription, drop_topics
from shared.runtime import StreamRunner
from shared.schemas.envelope import Envelope
from shared.schemas.topics import DLQ, HANDOFF_PACKETS
from tests.conftest import Infra
from tests.harness import publish_to
from tests.unit.chatwoot.factory import packet, update
from tests.unit.chatwoot.fake_chatwoot import FakeChatwoot

pytestmark = pytest.mark.integration

TOKEN = "integration-token"
Report = ConnectorDelivered | ConnectorFailed
_REPORT: TypeAdapter[Report] = TypeAdapter(Report)


async def serve_chatwoot(cw: FakeChatwoot) -> tuple[web.AppRunner, str]:
    """Serve the fake on 127.0.0.1 on a free port; return the runner and the base URL."""

    async def any_request(request: web.Request) -> web.Response:
        status, body = cw.answer(
            request.method,
            request.path,
            {k.lower(): v for k, v in request.headers.items()},
            await request.read(),
        )
        return web.json_response(body, status=status)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", any_request)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"


class Reports:
    """Read the connector's reports from the start of its topic."""

    def __init__(self, sub: KafkaSubscription) -> None:
        self._sub = sub
        self.all: list[Report] = []

    async def until(self, condition: Callable[[], bool], timeout: float = 20.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not condition():
            for r in await self._sub.poll(max_records=500, timeout_ms=50):
                self.all.append(_REPORT.validate_json(r.value))
        return condition()

    async def settle(self, seconds: float) -> None:
        await self.until(lambda: False, timeout=seconds)

    def of(self, cause: Envelope) -> list[Report]:
        return [r for r in self.all if r.cause_event_id == cause.event_id]


@dataclass
class Connector:
    cw: FakeChatwoot
    bus: KafkaBus
    reports: Reports
    settings: ChatwootSettings
    tenant: str
    group_prefix: str

    async def send(self, *events: Envelope) -> None:
        await publish_to(self.bus, [to_message(HANDOFF_PACKETS, e) for e in events])


async def _run(connector: Connector, stop: asyncio.Event) -> None:
    async with bootstrap(connector.settings) as (app, _checks):
        runner = StreamRunner(app, connector.bus, group_prefix=connector.group_prefix)
        await runner.run(stop)


@pytest.fixture(scope="module")
async def connector(infra: Infra) -> AsyncIterator[Connector]:
    cw = FakeChatwoot(tokens={TOKEN: {7}}, teams={7: {1: "General", 3: "Billing", 4: "Fraud"}})
    for conv in (42, 43, 44):
        cw.add_conversation(7, conv)
    server, url = await serve_chatwoot(cw)
    prefix = f"t{uuid.uuid4().hex[:8]}."
    bus = KafkaBus(infra.kafka, topic_prefix=prefix)
    await bus.ensure_topics([HANDOFF_PACKETS.name, CONNECTOR_EVENTS.name, DLQ.name], partitions=3)
    settings = ChatwootSettings.model_validate(
        {
            "KAFKA_BOOTSTRAP_SERVERS": infra.kafka,
            "REDIS_URL": infra.redis_url,
            "chatwoot_base_url": url,
            "chatwoot_api_token": TOKEN,
            "chatwoot_queue_teams": {"billing": 3, "fraud": 4, "general": 1},
            "chatwoot_retry_attempts": 4,
            "chatwoot_retry_base_seconds": 0.05,
            "chatwoot_retry_max_seconds": 0.2,
            "chatwoot_timeout_seconds": 2.0,
        }
    )
    sub = bus.subscription([CONNECTOR_EVENTS.name], group=f"{prefix}watch", client_id="watch")
    await sub.start()
    c = Connector(cw, bus, Reports(sub), settings, f"tenant-{prefix}", prefix)
    stop = asyncio.Event()
    task = asyncio.create_task(_run(c, stop))
    try:
        yield c
    finally:
        stop.set()
        await task
        await sub.stop()
        await server.cleanup()
        await drop_topics(infra.kafka, prefix)


def _steps(reports: list[Report]) -> list[tuple[str, str]]:
    return [(r.step, r.event_type) for r in reports]


async def test_packet_becomes_note_team_and_open_status_despite_two_500s(
    connector: Connector,
) -> None:
    cw, p = connector.cw, packet(tenant=connector.tenant, session="chatwoot:7:42")
    cw.fail_next("messages", 2)
    await connector.send(p)
    assert await connector.reports.until(lambda: len(connector.reports.of(p)) == 3)
    reports = connector.reports.of(p)
    assert _steps(reports) == [
        ("note", "connector.delivered"),
        ("assign", "connector.delivered"),
        ("open", "connector.delivered"),
    ]
    assert reports[0].attempts == 3
    assert cw.violations == []
    thread = cw.threads[(7, 42)]
    assert (len(thread.notes), thread.team_id, thread.status) == (1, 3, "open")
    assert p.summary in thread.notes[0]
    assert "98765" in thread.notes[0]
    assert "customer asked for a person in turn 3" in thread.notes[0]


async def test_redelivered_packet_posts_nothing_and_update_reassigns(connector: Connector) -> None:
    cw = connector.cw
    p = packet(tenant=connector.tenant, session="chatwoot:7:42")
    u = update(p, queue="fraud")
    notes_before = len(cw.of("messages"))
    await connector.send(p, u)
    assert await connector.reports.until(lambda: len(connector.reports.of(u)) == 1)
    [r] = connector.reports.of(u)
    assert (r.step, r.event_type) == ("reassign", "connector.delivered")
    assert isinstance(r, ConnectorDelivered) and r.reference == "team:4"
    await connector.reports.settle(0.5)
    assert len(connector.reports.of(p)) == 3
    assert len(cw.of("messages")) == notes_before
    assert cw.threads[(7, 42)].team_id == 4
    assert cw.violations == []


async def test_unknown_conversation_fails_visibly_without_retries(connector: Connector) -> None:
    p = packet(tenant=connector.tenant, session="chatwoot:7:404")
    calls = connector.cw.calls
    await connector.send(p)
    assert await connector.reports.until(lambda: len(connector.reports.of(p)) == 3)
    reports = connector.reports.of(p)
    assert all(isinstance(r, ConnectorFailed) for r in reports)
    assert [(r.step, r.status_code, r.attempts) for r in reports] == [
        ("note", 404, 1),
        ("assign", 404, 1),
        ("open", 404, 1),
    ]
    assert connector.cw.calls - calls == 3


async def test_chatwoot_down_then_back_a_redelivery_finishes_only_what_failed(
    connector: Connector,
) -> None:
    cw, p = connector.cw, packet(tenant=connector.tenant, session="chatwoot:7:43")
    cw.fail_next("toggle_status", 4, status=503)
    await connector.send(p)
    assert await connector.reports.until(lambda: len(connector.reports.of(p)) == 3)
    failed = [r for r in connector.reports.of(p) if isinstance(r, ConnectorFailed)]
    assert [(f.step, f.attempts, f.status_code, f.retryable) for f in failed] == [
        ("open", 4, 503, True)
    ]
    assert cw.threads[(7, 43)].status == "pending"
    await connector.send(p)
    assert await connector.reports.until(lambda: len(connector.reports.of(p)) == 4)
    assert _steps(connector.reports.of(p))[-1] == ("open", "connector.delivered")
    assert cw.threads[(7, 43)].status == "open"
    assert len(cw.threads[(7, 43)].notes) == 1
    assert cw.violations == []


async def test_other_platforms_sessions_are_left_alone(connector: Connector) -> None:
    p = packet(tenant=connector.tenant, session="sunshine-conv-1")
    calls = connector.cw.calls
    await connector.send(p)
    await connector.reports.settle(1.0)
    assert connector.reports.of(p) == []
    assert connector.cw.calls == calls


async def test_markers_survive_a_restart_of_the_connector(
    connector: Connector, infra: Infra
) -> None:
    """A second process (fresh consumer group, so it re-reads everything) repeats nothing."""
    cw = connector.cw
    notes = len(cw.of("messages"))
    assignments = len(cw.of("assignments"))
    replay = Connector(
        cw,
        connector.bus,
        connector.reports,
        connector.settings,
        connector.tenant,
        f"{connector.group_prefix}replay.",
    )
    stop = asyncio.Event()
    task = asyncio.create_task(_run(replay, stop))
    try:
        marker = packet(tenant=connector.tenant, session="chatwoot:7:44")
        await connector.send(marker)
        # Both processes see the marker packet; its three steps are done once between them.
        assert await connector.reports.until(lambda: len(connector.reports.of(marker)) == 3)
        await connector.reports.settle(1.0)
    finally:
        stop.set()
        await task
    assert len(connector.reports.of(marker)) == 3
    assert len(cw.of("messages")) == notes + 1
    assert len(cw.of("assignments")) == assignments + 1
    assert cw.violations == []
