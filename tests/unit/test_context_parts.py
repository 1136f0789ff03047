"""Trajectory, summary, CRM adapters and history: the context service's pure parts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from services.context.app import not_a_handoff
from services.context.summary import summarise
from services.context.trajectory import slope, trajectory
from shared.bus.base import Message, Record
from shared.bus.codec import encode, to_message
from shared.bus.memory import MemoryBroker
from shared.customers.crm import (
    HttpCustomerDirectory,
    LayeredDirectory,
    StoredCustomerDirectory,
    read_export,
)
from shared.customers.history import SessionHistory, is_repeat_contact
from shared.schemas.events import (
    Action,
    EscalationDecided,
    PastSession,
    SentimentLabel,
    TurnSentiment,
)
from shared.schemas.topics import ACTION_HEADER, DECISIONS, INTENTS
from shared.state.memory import MemoryStateStore


def point(seq: int, score: float) -> TurnSentiment:
    label = (
        SentimentLabel.NEGATIVE
        if score < -0.05
        else SentimentLabel.POSITIVE
        if score > 0.05
        else SentimentLabel.NEUTRAL
    )
    return TurnSentiment(seq=seq, score=score, label=label)


def test_slope_of_a_line_is_its_gradient() -> None:
    assert slope([0.0, -0.2, -0.4, -0.6]) == -0.2
    assert slope([0.5]) == 0.0


def test_trajectory_counts_trailing_negative_run_and_flags_worsening() -> None:
    t = trajectory([point(3, -0.3), point(1, 0.4), point(5, -0.7), point(4, -0.5)])
    assert [p.seq for p in t.points] == [1, 3, 4, 5]
    assert t.consecutive_negative == 3
    assert t.latest == -0.7
    assert t.worsening
    calm = trajectory([point(1, -0.5), point(2, 0.3)])
    assert calm.consecutive_negative == 0
    assert not calm.worsening


def test_read_export_csv_and_json(tmp_path: Path) -> None:
    csv_file = tmp_path / "crm.csv"
    csv_file.write_text("customer_id,name,tier,lifetime_value,plan\nC1,Ann,gold,120.5,Plus\n")
    json_file = tmp_path / "crm.json"
    json_file.write_text(json.dumps([{"id": "C2", "name": "Bo"}]))
    (a,) = read_export(csv_file)
    (b,) = read_export(json_file)
    assert (a.customer_id, a.tier, a.lifetime_value, a.attributes) == (
        "C1",
        "gold",
        120.5,
        {"plan": "Plus"},
    )
    assert (b.customer_id, b.name) == ("C2", "Bo")


async def test_stored_directory_is_per_tenant() -> None:
    store = MemoryStateStore()
    d = StoredCustomerDirectory(store)
    await d.load("t1", read_export_rows([{"customer_id": "C1", "name": "Ann"}]))
    assert (await d.profile("t1", "C1")) is not None
    assert await d.profile("t2", "C1") is None


def read_export_rows(rows: list[dict[str, object]]) -> list:  # type: ignore[type-arg]
    from shared.customers.crm import profile_from_row

    return [profile_from_row(r) for r in rows]


async def test_http_directory_reads_rest_crm_and_survives_errors() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["X-Tenant-Id"] == "acme"
        if request.url.path == "/customers/C1":
            return httpx.Response(200, json={"name": "Ann", "tier": "vip", "lifetime_value": 9000})
        if request.url.path == "/customers/BROKEN":
            return httpx.Response(500)
        return httpx.Response(404)

    client = httpx.AsyncClient(base_url="http://crm", transport=httpx.MockTransport(handler))
    d = HttpCustomerDirectory(client)
    p = await d.profile("acme", "C1")
    assert p is not None
    assert (p.customer_id, p.tier, p.lifetime_value) == ("C1", "vip", 9000.0)
    assert await d.profile("acme", "NOPE") is None
    assert await d.profile("acme", "BROKEN") is None
    stored = StoredCustomerDirectory(MemoryStateStore())
    await stored.load("acme", read_export_rows([{"customer_id": "S1", "name": "Sam"}]))
    layered = LayeredDirectory(stored, d)
    assert (await layered.profile("acme", "C1")) == p
    # A batch asks each directory once, for what the earlier ones did not have, in order.
    batch = await layered.profiles([("acme", "NOPE"), ("acme", "C1"), ("acme", "S1")])
    assert [b.customer_id if b else None for b in batch] == [None, "C1", "S1"]
    assert batch[2] is not None and batch[2].name == "Sam"
    await client.aclose()


async def test_history_is_idempotent_per_session_and_finds_repeat_contacts() -> None:
    h = SessionHistory(MemoryStateStore())
    now = datetime(2026, 1, 10, tzinfo=UTC)
    old = PastSession(
        session_id="s1", intents=["billing_dispute"], outcome="ended", at=now - timedelta(days=3)
    )
    await h.record("t", "C1", old)
    await h.record("t", "C1", old)
    past = await h.recent("t", "C1", exclude="s2")
    assert past == [old]
    assert await h.recent_many([("t", "C2", None), ("t", "C1", "s1"), ("t", "C1", "s2")]) == [
        [],
        [],
        [old],
    ]
    assert is_repeat_contact(past, ["billing_dispute"], now=now)
    assert not is_repeat_contact(past, ["order_status"], now=now)
    assert not is_repeat_contact(past, ["billing_dispute"], now=now + timedelta(days=30))


def test_summary_reports_the_model_s_label_and_the_turns_with_frustration() -> None:
    points = [
        TurnSentiment(seq=1, score=-0.4, label=SentimentLabel.NEGATIVE),
        TurnSentiment(seq=3, score=0.0, label=SentimentLabel.NEUTRAL, frustration=True),
        TurnSentiment(seq=5, score=0.3, label=SentimentLabel.NEUTRAL, urgency=True),
    ]
    text = summarise(
        transcript=[],
        intents=[],
        facts=[],
        sentiment=trajectory(points),
        reasons=[],
        repeat_contact=False,
    )
    # +0.30 is what the model called neutral: the agent must not read "positive".
    assert "Mood is neutral (latest +0.30)." in text
    assert "Frustration shown in turn 3." in text
    assert "Urgency in turn 5." in text
    calm = summarise(
        transcript=[],
        intents=[],
        facts=[],
        sentiment=trajectory([TurnSentiment(seq=1, score=0.6, label=SentimentLabel.POSITIVE)]),
        reasons=[],
        repeat_contact=False,
    )
    assert "Mood is positive (latest +0.60)." in calm
    assert "Frustration" not in calm and "Urgency" not in calm


def test_context_passes_over_decisions_that_do_not_hand_off_by_their_header() -> None:
    broker = MemoryBroker(partitions=1)

    def record_of(message: Message) -> Record:
        broker.append(message)
        return broker.records(message.topic)[-1]

    def decision(action: Action) -> EscalationDecided:
        return EscalationDecided(tenant_id="t", session_id="s", seq=1, action=action)

    continuing = record_of(to_message(DECISIONS, decision(Action.CONTINUE)))
    offering = record_of(to_message(DECISIONS, decision(Action.OFFER_HUMAN)))
    transfer = record_of(to_message(DECISIONS, decision(Action.TRANSFER)))
    assert dict(continuing.headers) == {ACTION_HEADER: b"continue"}
    assert not_a_handoff(continuing) and not_a_handoff(offering)
    assert not not_a_handoff(transfer)
    # Without the header (an older producer), or on another topic: decoded as ever.
    bare = Message(DECISIONS.name, b"s", encode(decision(Action.CONTINUE)))
    assert not not_a_handoff(record_of(bare))
    other = Message(INTENTS.name, b"s", b"{}", ((ACTION_HEADER, b"continue"),))
    assert not not_a_handoff(record_of(other))
