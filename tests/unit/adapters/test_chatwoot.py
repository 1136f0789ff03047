"""Chatwoot webhooks and agent-bot payloads: roles, notes, statuses, timestamps, signature.

Payloads follow Chatwoot's webhook documentation (chatwoot.com/docs, "Supported webhook
events"), the older documented message sample, and the agent-bot events.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest

from services.gateway.adapters import ChatwootAdapter
from services.gateway.handlers import BadInput
from shared.schemas.events import (
    Channel,
    ConversationTurn,
    Role,
    SessionHandedBack,
    SessionResolved,
    SessionStarted,
)
from tests.unit.adapters.helpers import only, run

NOW = 1_714_557_600
ADAPTER = ChatwootAdapter(clock=lambda: float(NOW))
ACCOUNT = {"id": 2, "name": "Acme"}
CONTACT = {"id": 42, "name": "Jane Doe", "email": "jane@example.com", "type": "contact"}
AGENT = {"id": 9, "name": "Anna", "email": "anna@acme.example", "type": "user"}
BOT = {"id": 5, "name": "Acme bot", "type": "agent_bot"}


def conversation(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": 7,
        "inbox_id": 3,
        "account_id": 2,
        "channel": "Channel::WebWidget",
        "status": "pending",
        "can_reply": True,
        "contact_inbox": {"id": 180, "contact_id": 42, "inbox_id": 3, "source_id": "abc"},
        "meta": {"sender": {"id": 42, "name": "Jane Doe", "type": "contact"}, "assignee": None},
        "messages": [],
        "labels": [],
        "created_at": 1714557000,
        "timestamp": 1714557500,
        "updated_at": 1714557500.25,
    }
    body.update(over)
    return body


def message(
    mid: int, kind: str | int, content: str | None, sender: Any, **over: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "event": "message_created",
        "id": mid,
        "content": content,
        "created_at": "2024-05-01T10:00:00.000Z",
        "message_type": kind,
        "content_type": "text",
        "content_attributes": {},
        "source_id": None,
        "private": False,
        "sender": sender,
        "contact": {"id": 42, "name": "Jane Doe"},
        "conversation": conversation(),
        "inbox": {"id": 3, "name": "Website"},
        "account": ACCOUNT,
    }
    body.update(over)
    return body


def test_incoming_outgoing_and_template_messages_get_their_roles() -> None:
    customer = run(ADAPTER, message(1, "incoming", "I was charged twice", CONTACT))
    agent = run(ADAPTER, message(2, "outgoing", "Sorry! Refunding now.", AGENT))
    bot = run(ADAPTER, message(3, "outgoing", "I can help with billing.", BOT))
    automation = run(ADAPTER, message(4, "outgoing", "We reply within 1h.", None))
    csat = run(ADAPTER, message(5, "template", "Rate the conversation", None))
    roles = [only(e, ConversationTurn)[0].role for e in (customer, agent, bot, automation, csat)]
    assert roles == [Role.CUSTOMER, Role.AGENT, Role.BOT, Role.BOT, Role.BOT]
    turn = only(customer, ConversationTurn)[0]
    assert turn.session_id == "chatwoot:2:7"
    assert turn.customer_id == "42"
    assert turn.channel is Channel.CHAT
    assert turn.occurred_at.isoformat() == "2024-05-01T10:00:00+00:00"


def test_private_notes_and_activity_are_not_turns() -> None:
    assert run(ADAPTER, message(6, "outgoing", "internal: VIP", AGENT, private=True)) == []
    assert run(ADAPTER, message(7, "activity", "Conversation was marked resolved", None)) == []
    assert run(ADAPTER, message(8, 2, "Assigned to Anna", None)) == []


def test_the_older_documented_payload_with_display_id_and_a_null_sender() -> None:
    old = {
        "event": "message_created",
        "id": "1",
        "content": "Hi",
        "created_at": "2020-03-03 13:05:57 UTC",
        "message_type": "incoming",
        "source_id": "",
        "sender": None,
        "contact": {"id": "1", "name": "contact-name"},
        "conversation": {"display_id": "1", "additional_attributes": {}},
        "account": {"id": "1", "name": "Chatwoot"},
    }
    [turn] = run(ADAPTER, old)
    assert isinstance(turn, ConversationTurn)
    assert turn.role is Role.CUSTOMER
    assert turn.session_id == "chatwoot:1:1"
    assert turn.occurred_at.isoformat() == "2020-03-03T13:05:57+00:00"


def test_conversation_created_starts_the_session_with_its_first_message() -> None:
    first = {
        "id": 1,
        "content": "I was charged twice",
        "account_id": 2,
        "conversation_id": 7,
        "message_type": 0,
        "created_at": 1714557000,
        "private": False,
        "sender": {"id": 42, "name": "Jane Doe", "type": "contact"},
    }
    body = conversation(event="conversation_created", channel="Channel::Whatsapp", messages=[first])
    events = run(ADAPTER, body)
    [started] = only(events, SessionStarted)
    [turn] = only(events, ConversationTurn)
    assert started.channel is Channel.MESSAGING
    assert started.customer_id == "42"
    assert turn.role is Role.CUSTOMER
    # The same message posted as message_created is the same event.
    same = run(ADAPTER, message(1, "incoming", "I was charged twice", CONTACT))
    assert same[0].event_id == turn.event_id


def status(current: str, previous: str | None, **over: Any) -> dict[str, Any]:
    changes = [{"status": {"previous_value": previous, "current_value": current}}]
    return conversation(
        event="conversation_status_changed", status=current, changed_attributes=changes, **over
    )


def test_pending_to_open_is_the_handoff_and_back_to_pending_a_hand_back() -> None:
    [handoff] = run(ADAPTER, status("open", "pending"))
    assert isinstance(handoff, ConversationTurn)
    assert handoff.role is Role.SYSTEM
    assert handoff.metadata["platform_control"] == "agent"
    [back] = run(ADAPTER, status("pending", "open"))
    assert isinstance(back, SessionHandedBack)
    assert run(ADAPTER, status("open", "resolved")) == []
    assert run(ADAPTER, status("snoozed", "open")) == []


def test_resolution_by_agent_or_bot_and_the_agent_bot_events_agree() -> None:
    assigned = {"sender": {"id": 42, "type": "contact"}, "assignee": AGENT}
    [by_agent] = run(ADAPTER, status("resolved", "open", meta=assigned))
    assert isinstance(by_agent, SessionResolved)
    assert by_agent.resolved_by is Role.AGENT
    [by_bot] = run(ADAPTER, status("resolved", "pending"))
    assert isinstance(by_bot, SessionResolved)
    assert by_bot.resolved_by is Role.BOT
    [bot_view] = run(ADAPTER, conversation(event="conversation_resolved", status="resolved"))
    assert bot_view.event_id == by_bot.event_id
    [opened] = run(ADAPTER, conversation(event="conversation_opened", status="open"))
    assert isinstance(opened, ConversationTurn)
    assert opened.role is Role.SYSTEM


def test_conversation_updated_reports_assignment_not_status() -> None:
    assignment = [{"assignee_id": {"previous_value": None, "current_value": 9}}]
    [turn] = run(ADAPTER, conversation(event="conversation_updated", changed_attributes=assignment))
    assert isinstance(turn, ConversationTurn)
    assert turn.role is Role.SYSTEM
    assert turn.metadata["assignee_id"] == "9"
    only_status = [{"status": {"previous_value": "pending", "current_value": "open"}}]
    assert (
        run(ADAPTER, conversation(event="conversation_updated", changed_attributes=only_status))
        == []
    )
    unassigned = [{"assignee_id": {"previous_value": 9, "current_value": None}}]
    assert (
        run(ADAPTER, conversation(event="conversation_updated", changed_attributes=unassigned))
        == []
    )


def test_ignored_events() -> None:
    assert run(ADAPTER, {"event": "webwidget_triggered", "id": 1}) == []
    assert run(ADAPTER, {"event": "conversation_typing_on"}) == []


@pytest.mark.parametrize(
    ("payload", "code", "says"),
    [
        ([{"event": "message_created"}], "unknown_shape", "got a JSON array"),
        ({"id": 1}, "missing_field", "body.event"),
        ({"event": "message_teleported"}, "unsupported_event", "message_teleported"),
        (message(9, "sideways", "x", CONTACT), "unknown_shape", "sideways"),
        (
            message(9, "incoming", "x", CONTACT, account={}, conversation={"id": 7}),
            "missing_field",
            "no account",
        ),
        (message(9, "incoming", "x", CONTACT, conversation={}), "missing_field", "display id"),
    ],
)
def test_unknown_shapes_are_refused_with_what_is_wrong(payload: Any, code: str, says: str) -> None:
    with pytest.raises(BadInput) as info:
        run(ADAPTER, payload)
    assert (info.value.status, info.value.code) == (422, code)
    assert says in info.value.message


URL = "https://baton.example/v1/ingest/chatwoot"
BODY = b'{"event":"message_created","id":1}'


def signed(body: bytes, stamp: int, secret: str = "cw-secret") -> dict[str, str]:
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Chatwoot-Signature": f"sha256={digest}", "X-Chatwoot-Timestamp": str(stamp)}


def test_signature_over_timestamp_and_body() -> None:
    assert ADAPTER.verify(BODY, signed(BODY, NOW), "cw-secret", url=URL)
    assert ADAPTER.verify(BODY, signed(BODY, NOW - 299), "cw-secret", url=URL)
    assert not ADAPTER.verify(BODY + b" ", signed(BODY, NOW), "cw-secret", url=URL)
    assert not ADAPTER.verify(BODY, signed(BODY, NOW, "other"), "cw-secret", url=URL)
    assert not ADAPTER.verify(BODY, signed(BODY, NOW - 301), "cw-secret", url=URL)
    no_stamp = {"X-Chatwoot-Signature": signed(BODY, NOW)["X-Chatwoot-Signature"]}
    assert not ADAPTER.verify(BODY, no_stamp, "cw-secret", url=URL)


def test_unsigned_installations_fall_back_to_the_shared_token() -> None:
    assert ADAPTER.verify(BODY, {}, "cw-secret", url=f"{URL}?tenant=acme&baton_token=cw-secret")
    assert not ADAPTER.verify(BODY, {}, "cw-secret", url=f"{URL}?baton_token=guess")
    assert not ADAPTER.verify(BODY, {}, "cw-secret", url=URL)
