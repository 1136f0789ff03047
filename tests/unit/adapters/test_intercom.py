"""Intercom conversation notifications: roles, notes, assignment, close, HTML, signature.

Payloads follow Intercom's webhook models (notification_event with a conversation item) and
its conversation and conversation part models.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest

from services.gateway.adapters import IntercomAdapter
from services.gateway.handlers import BadInput
from shared.schemas.events import (
    Channel,
    ConversationTurn,
    Role,
    SessionEnded,
    SessionResolved,
    SessionStarted,
)
from tests.unit.adapters.helpers import only, run

ADAPTER = IntercomAdapter()
USER = {"type": "user", "id": "65f0a1", "name": "Jane Doe", "email": "jane@example.com"}
ADMIN = {"type": "admin", "id": "814860", "name": "Anna", "email": "anna@acme.example"}
FIN = {"type": "bot", "id": "1001", "name": "Fin"}


def part(
    pid: str, kind: str, author: dict[str, Any], body: str | None, **over: Any
) -> dict[str, Any]:
    return {
        "type": "conversation_part",
        "id": pid,
        "part_type": kind,
        "body": body,
        "created_at": 1714557100,
        "updated_at": 1714557100,
        "notified_at": 1714557100,
        "assigned_to": None,
        "author": author,
        "attachments": [],
        **over,
    }


def notification(
    topic: str, *parts: dict[str, Any], source_type: str = "conversation"
) -> dict[str, Any]:
    return {
        "type": "notification_event",
        "app_id": "abc123",
        "data": {
            "type": "notification_event_data",
            "item": {
                "type": "conversation",
                "id": "123456789",
                "created_at": 1714557000,
                "updated_at": 1714557100,
                "source": {
                    "type": source_type,
                    "id": "987654",
                    "delivered_as": "customer_initiated",
                    "subject": "",
                    "body": "<p>Hi, my order <b>#1234</b> never&nbsp;arrived</p>",
                    "author": USER,
                    "attachments": [],
                },
                "contacts": {
                    "type": "contact.list",
                    "contacts": [{"type": "contact", "id": "65f0a1", "external_id": "crm-42"}],
                },
                "state": "open",
                "conversation_parts": {
                    "type": "conversation_part.list",
                    "conversation_parts": list(parts),
                    "total_count": len(parts),
                },
            },
        },
        "links": {},
        "id": "notif_1",
        "topic": topic,
        "delivery_status": "pending",
        "delivery_attempts": 1,
        "delivered_at": 0,
        "first_sent_at": 1714557101,
        "created_at": 1714557101,
        "self": None,
    }


def test_a_new_conversation_starts_with_the_customers_first_message_as_text() -> None:
    events = run(ADAPTER, notification("conversation.user.created"))
    [started] = only(events, SessionStarted)
    [turn] = only(events, ConversationTurn)
    assert started.session_id == turn.session_id == "intercom:123456789"
    assert turn.role is Role.CUSTOMER
    assert turn.text == "Hi, my order #1234 never arrived"
    assert turn.customer_id == "crm-42"
    assert turn.occurred_at.timestamp() == 1714557000


def test_replies_from_customer_bot_and_admin() -> None:
    events = run(
        ADAPTER,
        notification(
            "conversation.user.replied",
            part("p1", "comment", USER, "<p>Still nothing!!</p>"),
            part("p2", "comment", FIN, "<p>I can check that.</p>"),
            part("p3", "comment", ADMIN, "<p>Anna here, sorting it.</p>"),
        ),
    )
    roles = [t.role for t in only(events, ConversationTurn)]
    assert roles == [Role.CUSTOMER, Role.BOT, Role.AGENT]


def test_notes_are_never_turns() -> None:
    note = part("p4", "note", ADMIN, "<p>VIP, refund quietly</p>")
    assert run(ADAPTER, notification("conversation.admin.noted", note)) == []
    assert run(ADAPTER, notification("conversation.admin.replied", note)) == []


def test_assignment_to_a_team_is_the_handoff() -> None:
    assign = part("p5", "assignment", FIN, None, assigned_to={"type": "team", "id": "77"})
    [turn] = run(ADAPTER, notification("conversation.admin.assigned", assign))
    assert isinstance(turn, ConversationTurn)
    assert turn.role is Role.SYSTEM
    assert turn.metadata["platform_control"] == "agent"
    to_nobody = part("p6", "assignment", ADMIN, None, assigned_to={"type": "nobody_admin"})
    assert run(ADAPTER, notification("conversation.admin.assigned", to_nobody)) == []


def test_close_with_a_reply_is_a_turn_and_a_resolution() -> None:
    close = part("p7", "close", ADMIN, "<p>Refunded, have a nice day.</p>")
    events = run(ADAPTER, notification("conversation.admin.closed", close))
    [turn] = only(events, ConversationTurn)
    [resolved] = only(events, SessionResolved)
    assert turn.role is Role.AGENT
    assert resolved.resolved_by is Role.AGENT
    silent = run(ADAPTER, notification("conversation.admin.closed", part("p8", "close", FIN, None)))
    [bot_closed] = silent
    assert isinstance(bot_closed, SessionResolved)
    assert bot_closed.resolved_by is Role.BOT


def test_email_channel_and_deleted_conversation() -> None:
    events = run(ADAPTER, notification("conversation.user.created", source_type="email"))
    assert only(events, ConversationTurn)[0].channel is Channel.EMAIL
    [ended] = run(ADAPTER, notification("conversation.deleted"))
    assert isinstance(ended, SessionEnded)


def test_redelivery_gives_the_same_events() -> None:
    body = notification("conversation.user.replied", part("p1", "comment", USER, "<p>hi</p>"))
    assert [e.event_id for e in run(ADAPTER, body)] == [e.event_id for e in run(ADAPTER, body)]


def test_the_setup_ping_is_accepted() -> None:
    ping = {"type": "notification_event", "topic": "ping", "data": {"item": {"type": "ping"}}}
    assert run(ADAPTER, ping) == []


@pytest.mark.parametrize(
    ("payload", "code", "says"),
    [
        ({"topic": "conversation.user.created"}, "unknown_shape", "notification_event"),
        ("hello", "unknown_shape", "got a string"),
        (notification("conversation.user.teleported"), "unsupported_event", "teleported"),
        (
            notification(
                "conversation.user.replied", part("p9", "comment", {"type": "martian"}, "<p>x</p>")
            ),
            "unknown_shape",
            "martian",
        ),
        (
            {
                "type": "notification_event",
                "topic": "conversation.user.replied",
                "data": {"item": {}},
            },
            "missing_field",
            "data.item.id",
        ),
    ],
)
def test_unknown_shapes_are_refused_with_what_is_wrong(payload: Any, code: str, says: str) -> None:
    with pytest.raises(BadInput) as info:
        run(ADAPTER, payload)
    assert (info.value.status, info.value.code) == (422, code)
    assert says in info.value.message


def test_signature_is_hmac_sha1_of_the_body_with_the_client_secret() -> None:
    body = b'{"type":"notification_event","topic":"ping"}'
    good = "sha1=" + hmac.new(b"client-secret", body, hashlib.sha1).hexdigest()
    url = "https://baton.example/v1/ingest/intercom"
    assert ADAPTER.verify(body, {"X-Hub-Signature": good}, "client-secret", url=url)
    assert not ADAPTER.verify(body + b" ", {"X-Hub-Signature": good}, "client-secret", url=url)
    assert not ADAPTER.verify(body, {"X-Hub-Signature": good}, "other-secret", url=url)
    assert not ADAPTER.verify(body, {}, "client-secret", url=url)
    assert not ADAPTER.verify(body, {"X-Hub-Signature": good}, "", url=url)
