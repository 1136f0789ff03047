"""The connector's handlers on the in-memory store and the Chatwoot contract fake."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field

import httpx
from prometheus_client import REGISTRY

from services.chatwoot.app import build_app
from services.chatwoot.client import ChatwootClient, RetryPolicy
from services.chatwoot.events import CONNECTOR_EVENTS, ConnectorDelivered, ConnectorFailed
from services.chatwoot.handlers import HANDLERS, Deps, handle
from services.chatwoot.ledger import Ledger
from services.chatwoot.mapping import Desk, Desks
from services.chatwoot.note import render_note
from shared.bus.codec import to_message
from shared.bus.memory import MemoryBus
from shared.runtime import StreamRunner
from shared.schemas.envelope import Envelope
from shared.schemas.events import HandoffPacketBuilt, HandoffUpdated, SlaBreached
from shared.schemas.topics import HANDOFF_PACKETS
from shared.state.memory import MemoryStateStore
from tests.unit.chatwoot.factory import packet, update
from tests.unit.chatwoot.fake_chatwoot import FakeChatwoot

TEAMS = {"billing": 3, "fraud": 4, "general": 1}


@dataclass
class Clock:
    now: float = field(default_factory=time.time)

    def __call__(self) -> float:
        return self.now


@dataclass
class World:
    cw: FakeChatwoot
    store: MemoryStateStore
    clock: Clock
    deps: Deps

    async def run(self, *events: Envelope) -> list[Envelope]:
        return await handle(list(events), self.deps)


async def _no_sleep(seconds: float) -> None:
    return None


def world(*, desks: Desks | None = None, attempts: int = 3) -> World:
    cw = FakeChatwoot(
        tokens={"tok": {7, 8}}, teams={7: {1: "General", 3: "Billing", 4: "Fraud"}, 8: {3: "B"}}
    )
    for account, conv in ((7, 42), (7, 43), (8, 1)):
        cw.add_conversation(account, conv)
    store, clock = MemoryStateStore(), Clock()
    client = ChatwootClient(
        httpx.AsyncClient(transport=cw.transport()),
        retry=RetryPolicy(attempts=attempts, base_seconds=0.01, max_seconds=0.02),
        sleep=_no_sleep,
        rng=random.Random(0),
    )
    deps = Deps(
        client=client,
        desks=desks or Desks(Desk("http://chatwoot.test", "tok", TEAMS)),
        ledger=Ledger(store, ttl_seconds=3600, lease_seconds=60, clock=clock),
    )
    return World(cw, store, clock, deps)


def delivered(out: list[Envelope]) -> list[tuple[str, str | None]]:
    return [(e.step, e.reference) for e in out if isinstance(e, ConnectorDelivered)]


def failed(out: list[Envelope]) -> list[ConnectorFailed]:
    return [e for e in out if isinstance(e, ConnectorFailed)]


def test_the_routing_table_names_every_handled_event() -> None:
    assert set(HANDLERS) == {HandoffPacketBuilt, HandoffUpdated, SlaBreached}


async def test_packet_posts_note_assigns_team_and_opens() -> None:
    w, p = world(), packet()
    out = await w.run(p)
    assert w.cw.violations == []
    assert [s.endpoint for s in w.cw.seen] == ["messages", "assignments", "toggle_status"]
    assert w.cw.seen[0].body == {
        "content": render_note(p),
        "message_type": "outgoing",
        "private": True,
    }
    assert w.cw.seen[1].body == {"team_id": 3}
    assert delivered(out) == [
        ("note", "message:1001"),
        ("assign", "team:3"),
        ("open", "conversation:42"),
    ]
    first = out[0]
    assert isinstance(first, ConnectorDelivered)
    assert (first.packet_id, first.cause_event_id, first.target, first.attempts) == (
        p.packet_id,
        p.event_id,
        "chatwoot:7:42",
        1,
    )
    assert first.trace.parent_event_id == p.event_id
    assert (first.tenant_id, first.session_id) == (p.tenant_id, p.session_id)


async def test_the_same_packet_twice_posts_one_note() -> None:
    w, p = world(), packet()
    first = await w.run(p, p)
    again = await w.run(p)
    assert len(w.cw.of("messages")) == 1
    assert len(w.cw.of("assignments")) == 1
    assert len(w.cw.of("toggle_status")) == 1
    assert len(delivered(first)) == 3
    assert again == []


async def test_a_failed_step_is_reported_the_others_go_on_and_a_redelivery_retries_it() -> None:
    w, p = world(attempts=3), packet()
    w.cw.fail_next("messages", 3)
    out = await w.run(p)
    assert delivered(out) == [("assign", "team:3"), ("open", "conversation:42")]
    [f] = failed(out)
    assert (f.step, f.attempts, f.status_code, f.retryable) == ("note", 3, 500, True)
    assert f.error.startswith("HTTP 500")
    # The failure released the note's claim: the next delivery posts it, and only it.
    again = await w.run(p)
    assert delivered(again) == [("note", "message:1001")]
    assert len(w.cw.of("assignments")) == 1
    # Each failed delivery of the step is its own report.
    w2 = world(attempts=1)
    w2.cw.fail_next("messages", 2)
    ids = {failed(await w2.run(p))[0].event_id, failed(await w2.run(p))[0].event_id}
    assert len(ids) == 2


async def test_transient_failures_within_the_budget_are_invisible_but_counted() -> None:
    w, p = world(attempts=4), packet()
    w.cw.fail_next("toggle_status", 2, status=502)
    out = await w.run(p)
    assert failed(out) == []
    opened = [e for e in out if isinstance(e, ConnectorDelivered) and e.step == "open"]
    assert opened[0].attempts == 3


async def test_a_rejected_step_is_not_retried() -> None:
    w, p = world(), packet(session="chatwoot:7:999")
    out = await w.run(p)
    assert [(f.step, f.status_code, f.attempts, f.retryable) for f in failed(out)] == [
        ("note", 404, 1, False),
        ("assign", 404, 1, False),
        ("open", 404, 1, False),
    ]
    assert w.cw.calls == 3


async def test_sessions_from_other_platforms_are_ignored() -> None:
    w = world()
    before = REGISTRY.get_sample_value(
        "baton_connector_ignored_total", {"service": "chatwoot", "reason": "not_chatwoot"}
    )
    assert await w.run(packet(session="sunshine-abc"), packet(session="s-1")) == []
    assert w.cw.calls == 0
    after = REGISTRY.get_sample_value(
        "baton_connector_ignored_total", {"service": "chatwoot", "reason": "not_chatwoot"}
    )
    assert (after or 0) - (before or 0) == 2


async def test_unmapped_queue_fails_the_assignment_only() -> None:
    w = world()
    out = await w.run(packet(queue="vip"))
    assert delivered(out) == [("note", "message:1001"), ("open", "conversation:42")]
    [f] = failed(out)
    assert (f.step, f.attempts, f.retryable) == ("assign", 0, False)
    assert "no Chatwoot team mapped for queue 'vip'" in f.error
    assert w.cw.of("assignments") == []


async def test_unknown_team_in_chatwoot_is_a_failure() -> None:
    w = world(desks=Desks(Desk("http://chatwoot.test", "tok", {"billing": 77})))
    [f] = failed(await w.run(packet()))
    assert f.step == "assign" and "team 77 does not exist" in f.error


async def test_tenant_without_token_or_on_a_foreign_account_is_refused_before_any_call() -> None:
    desks = Desks(
        Desk("http://chatwoot.test", None, TEAMS),
        {"acme": Desk("http://chatwoot.test", "tok", TEAMS, account_id=8)},
    )
    w = world(desks=desks)
    out = await w.run(packet(tenant="nobody"), packet(tenant="acme", session="chatwoot:7:42"))
    assert w.cw.calls == 0
    errors = [(f.tenant_id, f.step, f.error) for f in failed(out)]
    assert len(errors) == 6
    assert all("api_access_token" in e for t, _, e in errors if t == "nobody")
    assert all("account 7 is not this tenant's" in e for t, _, e in errors if t == "acme")
    assert all(f.attempts == 0 for f in failed(out))


async def test_update_reassigns_to_the_new_queues_team_once() -> None:
    w, p = world(), packet()
    u = update(p, queue="fraud")
    out = await w.run(p, u, u)
    assert delivered(out)[-1] == ("reassign", "team:4")
    assert [s.body for s in w.cw.of("assignments")] == [{"team_id": 3}, {"team_id": 4}]
    assert w.cw.threads[(7, 42)].team_id == 4
    assert await w.run(u) == []
    # An update that keeps the queue's team changes nothing in Chatwoot.
    assert await w.run(update(p, queue="fraud", seq=6)) == []
    assert len(w.cw.of("assignments")) == 2


async def test_a_redelivered_packet_does_not_undo_a_later_reassignment() -> None:
    w, p = world(), packet()
    w.cw.fail_next("assignments", 3)
    first = await w.run(p)
    assert [f.step for f in failed(first)] == ["assign"]
    assert delivered(await w.run(update(p, queue="fraud"))) == [("reassign", "team:4")]
    assert await w.run(p) == []
    assert [s.body for s in w.cw.of("assignments")] == [{"team_id": 4}]


async def test_failed_reassignment_is_reported_and_retried_on_redelivery() -> None:
    w, p = world(attempts=1), packet()
    await w.run(p)
    w.cw.fail_next("assignments", 1, status=503)
    u = update(p, queue="general")
    [f] = failed(await w.run(u))
    assert (f.step, f.cause_event_id, f.retryable) == ("reassign", u.event_id, True)
    assert delivered(await w.run(u)) == [("reassign", "team:1")]


async def test_a_step_in_flight_elsewhere_is_skipped_until_its_lease_runs_out() -> None:
    w, p = world(), packet()
    key = w.deps.ledger.key(p.tenant_id, p.session_id)
    stale = f"pending:other:{w.clock.now + 30:.3f}".encode()
    await w.store.claim(key, f"{p.packet_id}:note", stale, ttl_seconds=60)
    out = await w.run(p)
    assert [s for s, _ in delivered(out)] == ["assign", "open"]
    assert w.cw.of("messages") == []
    # The other worker died: once its lease is over, exactly one delivery takes the step over.
    w.clock.now += 31
    assert delivered(await w.run(p, p)) == [("note", "message:1001")]
    assert len(w.cw.of("messages")) == 1


async def test_sessions_run_side_by_side_and_each_in_order() -> None:
    w = world()
    a, b = packet(session="chatwoot:7:42"), packet(session="chatwoot:7:43")
    out = await w.run(a, b, update(a, queue="fraud"), update(b, queue="general"))
    assert w.cw.violations == []
    by_target: dict[str, list[str]] = {}
    for e in out:
        assert isinstance(e, ConnectorDelivered)
        by_target.setdefault(e.target, []).append(e.step)
    assert by_target == {
        "chatwoot:7:42": ["note", "assign", "open", "reassign"],
        "chatwoot:7:43": ["note", "assign", "open", "reassign"],
    }
    assert (w.cw.threads[(7, 42)].team_id, w.cw.threads[(7, 43)].team_id) == (4, 1)


async def test_metrics_count_steps_requests_and_retries() -> None:
    def value(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, {"service": "chatwoot", **labels}) or 0.0

    before = (
        value("baton_connector_steps_total", step="note", outcome="delivered"),
        value("baton_connector_steps_total", step="note", outcome="duplicate"),
        value("baton_connector_requests_total", step="note", result="500"),
        value("baton_connector_retries_total", step="note"),
    )
    w, p = world(attempts=3), packet()
    w.cw.fail_next("messages", 1)
    await w.run(p, p)
    after = (
        value("baton_connector_steps_total", step="note", outcome="delivered"),
        value("baton_connector_steps_total", step="note", outcome="duplicate"),
        value("baton_connector_requests_total", step="note", result="500"),
        value("baton_connector_retries_total", step="note"),
    )
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1, 1, 1]


async def test_the_stream_app_reads_packets_and_publishes_reports() -> None:
    w, p = world(), packet()
    bus = MemoryBus()
    runner = StreamRunner(build_app(w.deps), bus, group_prefix="t", timeout_ms=10)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    await asyncio.wait_for(runner.ready.wait(), 5)
    publisher = bus.publisher(client_id="test")
    await publisher.publish([to_message(HANDOFF_PACKETS, p), to_message(HANDOFF_PACKETS, p)])
    broker = bus.broker
    for _ in range(200):
        if len(broker.records(CONNECTOR_EVENTS.name)) >= 3:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await task
    reports = [
        ConnectorDelivered.model_validate_json(r.value)
        for r in broker.records(CONNECTOR_EVENTS.name)
    ]
    assert [r.step for r in reports] == ["note", "assign", "open"]
    assert all(r.key == p.key for r in broker.records(CONNECTOR_EVENTS.name))
    assert len(w.cw.of("messages")) == 1


async def test_an_sla_breach_moves_the_conversation_to_the_overflow_team() -> None:

    w, p = world(), packet()
    await w.run(p)
    breach = SlaBreached(
        tenant_id=p.tenant_id,
        session_id=p.session_id,
        seq=p.decided_seq,
        packet_id=p.packet_id,
        sla_seconds=120,
        waited_seconds=130.0,
        from_queue=p.queue,
        to_queue="fraud",
        priority=1,
    )
    assert delivered(await w.run(breach)) == [("reassign", "team:4")]
    assert [s.body for s in w.cw.of("assignments")][-1] == {"team_id": 4}
