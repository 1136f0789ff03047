"""Decoding at the edge: good events validate, bad ones say what is wrong."""

from __future__ import annotations

import base64

import pytest

from shared.bus.base import Record
from shared.bus.codec import TopicDecoder, dead_letter, encode
from shared.schemas.events import ConversationTurn, DeadLetter, Role
from shared.schemas.topics import CONVERSATION_EVENTS, DLQ


def rec(value: bytes) -> Record:
    return Record(CONVERSATION_EVENTS.name, 0, 7, b"k", value, 0)


def test_round_trip_keeps_every_field() -> None:
    turn = ConversationTurn(tenant_id="t", session_id="s", seq=2, role=Role.CUSTOMER, text="hi")
    decoded = TopicDecoder([CONVERSATION_EVENTS]).decode(rec(encode(turn)))
    assert decoded == turn
    assert decoded.key == b"t:s"


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
