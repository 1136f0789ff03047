"""Amazon Connect: contact events via EventBridge and Contact Lens real-time records.

Payloads follow the Amazon Connect admin guide's "contact events" data model and the Contact
Lens real-time segment examples, beyond the published samples.
"""

from __future__ import annotations

from typing import Any

import pytest

from services.gateway.adapters import ConnectAdapter
from services.gateway.handlers import BadInput
from shared.schemas.events import (
    Channel,
    ConversationTurn,
    Role,
    SessionEnded,
    SessionStarted,
)
from tests.unit.adapters.helpers import only, run

ADAPTER = ConnectAdapter()
CONTACT = "a1b2c3d4-5678-90ab-cdef-EXAMPLE22222"


def bridge(event_type: str, **detail: Any) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "abcabcab-abca-abca-abca-abcabcabcabc",
        "detail-type": "Amazon Connect Contact Event",
        "source": "aws.connect",
        "account": "111122223333",
        "time": "2024-05-01T10:00:00Z",
        "region": "us-west-2",
        "resources": [],
        "detail": {
            "eventType": event_type,
            "contactId": CONTACT,
            "channel": "CHAT",
            "instanceArn": "arn:aws:connect:us-west-2:111122223333:instance/i-1",
            "initiationMethod": "API",
            **detail,
        },
    }


def lens(event_type: str, segments: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {
        "Version": "1.0.0",
        "Channel": "CHAT",
        "AccountId": "111122223333",
        "InstanceId": "i-1",
        "ContactId": CONTACT,
        "LanguageCode": "en-GB",
        "EventType": event_type,
    }
    if segments is not None:
        record["Segments"] = segments
    return record


def transcript(tid: str, role: str, content: str, **extra: Any) -> dict[str, Any]:
    return {
        "Transcript": {
            "Id": tid,
            "ParticipantId": role,
            "ParticipantRole": role,
            "Content": content,
            "BeginOffsetMillis": 1000,
            "EndOffsetMillis": 2000,
            **extra,
        }
    }


def test_contact_lifecycle_from_eventbridge() -> None:
    [started] = run(ADAPTER, bridge("INITIATED", initiationTimestamp="2024-05-01T09:59:58Z"))
    assert isinstance(started, SessionStarted)
    assert started.channel is Channel.CHAT
    assert started.metadata["platform_initiation"] == "API"
    assert run(ADAPTER, bridge("QUEUED")) == []
    agent = {
        "agentArn": "arn:aws:connect:...:agent/a-1",
        "connectedToAgentTimestamp": "2024-05-01T10:01:00Z",
    }
    [handoff] = run(ADAPTER, bridge("CONNECTED_TO_AGENT", agentInfo=agent))
    assert isinstance(handoff, ConversationTurn)
    assert handoff.role is Role.SYSTEM
    assert handoff.metadata["platform_control"] == "agent"
    [ended] = run(ADAPTER, bridge("DISCONNECTED", disconnectTimestamp="2024-05-01T10:09:00Z"))
    assert isinstance(ended, SessionEnded)
    assert ended.occurred_at.isoformat() == "2024-05-01T10:09:00+00:00"


def test_both_sources_of_a_start_or_an_end_share_one_event_id() -> None:
    [initiated] = run(ADAPTER, bridge("INITIATED"))
    [analysis_started] = run(ADAPTER, lens("STARTED"))
    assert initiated.event_id == analysis_started.event_id
    [disconnected] = run(ADAPTER, bridge("DISCONNECTED"))
    [analysis_done] = run(ADAPTER, lens("COMPLETED"))
    assert disconnected.event_id == analysis_done.event_id


def test_chat_transcripts_with_bot_and_system_participants() -> None:
    events = run(
        ADAPTER,
        lens(
            "SEGMENTS",
            [
                transcript("t1", "CUSTOM_BOT", "Hi, I'm the assistant."),
                transcript("t2", "CUSTOMER", "I want a refund!!", Sentiment="NEGATIVE"),
                {
                    "Utterance": {
                        "Id": "u1",
                        "TranscriptId": "t3",
                        "ParticipantRole": "AGENT",
                        "PartialContent": "Hel",
                    }
                },
                transcript("t3", "AGENT", "Hello, I can help."),
                transcript("t4", "SYSTEM", "Agent joined."),
            ],
        ),
    )
    turns = only(events, ConversationTurn)
    assert [t.role for t in turns] == [Role.BOT, Role.CUSTOMER, Role.AGENT, Role.SYSTEM]
    assert turns[1].metadata["platform_sentiment"] == "negative"
    assert turns[1].language == "en-GB"
    assert "platform_issues" not in turns[1].metadata


def test_the_same_record_twice_gives_the_same_events() -> None:
    record = lens("SEGMENTS", [transcript("t2", "CUSTOMER", "hello")])
    assert [e.event_id for e in run(ADAPTER, record)] == [e.event_id for e in run(ADAPTER, record)]


@pytest.mark.parametrize(
    ("payload", "code", "says"),
    [
        ({"foo": 1}, "unknown_shape", "Contact Lens real-time record"),
        ([lens("STARTED")], "unknown_shape", "got a JSON array"),
        (
            bridge("INITIATED") | {"detail-type": "EC2 Instance State-change"},
            "unsupported_event",
            "EC2",
        ),
        (bridge("INITIATED") | {"detail": "x"}, "unknown_shape", "no 'detail' object"),
        (bridge("TELEPORTED"), "unsupported_event", "TELEPORTED"),
        (lens("PAUSED"), "unsupported_event", "PAUSED"),
        (lens("SEGMENTS"), "unknown_shape", "'Segments' array"),
        (lens("SEGMENTS", [transcript("t", "ALIEN", "hi")]), "unknown_shape", "ALIEN"),
        (
            lens("SEGMENTS", [{"Transcript": {"ParticipantRole": "AGENT", "Content": "x"}}]),
            "missing_field",
            "Id",
        ),
    ],
)
def test_unknown_shapes_are_refused_with_what_is_wrong(payload: Any, code: str, says: str) -> None:
    with pytest.raises(BadInput) as info:
        run(ADAPTER, payload)
    assert (info.value.status, info.value.code) == (422, code)
    assert says in info.value.message


def test_verification_is_the_shared_token() -> None:
    url = "https://baton.example/v1/ingest/connect"
    assert ADAPTER.verify(b"{}", {"X-Baton-Token": "tok"}, "tok", url=url)
    assert not ADAPTER.verify(b"{}", {"X-Baton-Token": "tok2"}, "tok", url=url)
    assert not ADAPTER.verify(b"{}", {}, "tok", url=url)
