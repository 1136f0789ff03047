"""The ingest gateway on the in-memory bus."""

from __future__ import annotations

import json

import pytest

from services.gateway.handlers import BadInput, parse_events
from shared.bus.memory import MemoryBus
from tests.gateway_checks import check_gateway, originals


async def test_gateway_publishes_good_events_and_dead_letters_bad_bodies() -> None:
    bus = MemoryBus()
    accepted, refused = await check_gateway(bus)
    published = [
        json.loads(r.value)["event_id"] for r in bus.broker.records("baton.conversation.events")
    ]
    assert sorted(published) == sorted(accepted)
    assert originals([r.value for r in bus.broker.records("baton.dlq")]) == refused


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"", 400, "empty_body"),
        (b"[]", 400, "empty_batch"),
        (b"{", 400, "invalid_json"),
        (b"{}", 422, "invalid_event"),
    ],
)
def test_parse_events_says_what_is_wrong(body: bytes, status: int, code: str) -> None:
    with pytest.raises(BadInput) as info:
        parse_events(body, max_batch=10)
    assert (info.value.status, info.value.code) == (status, code)
    assert info.value.message


def test_cloudevents_structured_mode_single_and_batch() -> None:
    ce = {
        "specversion": "1.0",
        "id": "ce-1",
        "source": "/platform/acme",
        "type": "baton.conversation.turn",
        "time": "2026-11-22T10:00:00Z",
        "datacontenttype": "application/json",
        "data": {
            "tenant_id": "acme",
            "session_id": "s1",
            "seq": 1,
            "role": "customer",
            "text": "hi",
        },
    }
    (event,) = parse_events(json.dumps(ce).encode(), max_batch=10)
    assert (event.event_id, event.event_type, event.session_id) == (
        "ce-1",
        "conversation.turn",
        "s1",
    )
    assert event.occurred_at.isoformat().startswith("2026-11-22T10:00:00")
    batch = parse_events(json.dumps([ce, {**ce, "id": "ce-2"}]).encode(), max_batch=10)
    assert [e.event_id for e in batch] == ["ce-1", "ce-2"]
    with pytest.raises(BadInput) as info:
        parse_events(json.dumps({**ce, "specversion": "0.3"}).encode(), max_batch=10)
    assert "specversion" in info.value.errors[0]["problem"]
    with pytest.raises(BadInput):
        parse_events(json.dumps({**ce, "type": "baton.nope"}).encode(), max_batch=10)
