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
