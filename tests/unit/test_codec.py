"""Decoding at the edge: good events validate, bad ones say what is wrong."""

from __future__ import annotations

import base64

import pytest

from shared.bus.base import Record
from shared.bus.codec import TopicDecoder, dead_letter, encode
from shared.schemas.events import (
    ConversationTurn,
    DeadLetter,
    Role,
    SentimentLabel,
    SentimentScored,
)
from shared.schemas.topics import CONVERSATION_EVENTS, DLQ, SENTIMENTS


def rec(value: bytes) -> Record:
    return Record(CONVERSATION_EVENTS.name, 0, 7, b"k", value, 0)


def test_round_trip_keeps_every_field() -> None:
    turn = ConversationTurn(tenant_id="t", session_id="s", seq=2, role=Role.CUSTOMER, text="hi")
    decoded = TopicDecoder([CONVERSATION_EVENTS]).decode(rec(encode(turn)))
    assert decoded == turn
    assert decoded.key == b"t:s"


def test_internal_events_keep_the_bytes_they_came_as() -> None:
    scored = SentimentScored(
        tenant_id="t",
        session_id="s",
        seq=2,
        turn_event_id="e1",
        score=-0.5,
        label=SentimentLabel.NEGATIVE,
    )
    # Spaces pydantic would not write: only the kept bytes can come back with them.
    raw = encode(scored).replace(b'"seq":2', b'"seq": 2')
    decoded = TopicDecoder([SENTIMENTS]).decode(Record(SENTIMENTS.name, 0, 1, b"k", raw, 0))
    assert decoded.wire_json() == raw
    assert decoded.model_dump() == scored.model_dump()
    # Platform input may lean on defaults, so it is serialised afresh, never stored as sent.
    turn = ConversationTurn(tenant_id="t", session_id="s", seq=2, role=Role.CUSTOMER, text="hi")
    sent = encode(turn).replace(b'"seq":2', b'"seq": 2')
    from_platform = TopicDecoder([CONVERSATION_EVENTS]).decode(rec(sent))
    assert from_platform.wire_json() == encode(turn)


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (b"{not json", "Invalid JSON"),
        (b'{"event_type": "conversation.turn", "tenant_id": "t", "session_id": "s"}', "seq"),
        (b'{"event_type": "nope", "tenant_id": "t", "session_id": "s"}', "event_type"),
        (
            b'{"event_type": "conversation.turn", "tenant_id": "t", "session_id": "s",'
            b' "seq": 0, "role": "customer", "text": "x"}',
            "seq",
        ),
    ],
)
def test_bad_records_are_split_out_with_a_reason(value: bytes, says: str) -> None:
    good, bad = TopicDecoder([CONVERSATION_EVENTS]).split([rec(value)])
    assert good == []
    assert says in bad[0][1]


def test_dead_letter_keeps_original_bytes_and_origin() -> None:
    msg = dead_letter(rec(b"\xff\x00junk"), reason="invalid_event", error="bad", service="intent")
    assert msg.topic == DLQ.name
    letter = DeadLetter.model_validate_json(msg.value)
    assert base64.b64decode(letter.original_b64) == b"\xff\x00junk"
    assert (letter.source_topic, letter.offset, letter.service) == (
        CONVERSATION_EVENTS.name,
        7,
        "intent",
    )


def test_an_omitted_id_and_time_come_from_the_record_so_every_service_agrees() -> None:
    bare = (
        b'{"event_type": "conversation.turn", "tenant_id": "t", "session_id": "s", "seq": 1,'
        b' "role": "customer", "text": "hi"}'
    )
    record = Record(CONVERSATION_EVENTS.name, 3, 41, b"t:s", bare, 1_795_000_000_000)
    # Two services decode the same record, each with its own decoder.
    first = TopicDecoder([CONVERSATION_EVENTS]).decode(record)
    second = TopicDecoder([CONVERSATION_EVENTS]).decode(record)
    assert first.event_id == second.event_id
    assert first.occurred_at == second.occurred_at
    assert first.occurred_at.timestamp() == 1_795_000_000
    elsewhere = Record(CONVERSATION_EVENTS.name, 3, 42, b"t:s", bare, 1_795_000_000_000)
    assert TopicDecoder([CONVERSATION_EVENTS]).decode(elsewhere).event_id != first.event_id
    # What the platform did send is kept as sent.
    given = ConversationTurn(tenant_id="t", session_id="s", seq=1, role=Role.CUSTOMER, text="hi")
    kept = TopicDecoder([CONVERSATION_EVENTS]).decode(
        Record(CONVERSATION_EVENTS.name, 3, 41, b"t:s", encode(given), 1_795_000_000_000)
    )
    assert (kept.event_id, kept.occurred_at) == (given.event_id, given.occurred_at)
