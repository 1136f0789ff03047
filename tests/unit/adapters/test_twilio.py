"""Twilio Conversations: Event Streams and classic webhooks, roles, signatures.

Payload fields follow Twilio's Conversations webhook reference (onMessageAdded...) and the
Event Streams schemas (Conversations.MessageAdded); signature vectors are the ones Twilio's
helper libraries test against (auth token "12345").
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlencode

import orjson
import pytest

from services.gateway.adapters import TwilioAdapter, decode_body
from services.gateway.handlers import BadInput
from shared.schemas.events import Channel, ConversationTurn, Role, SessionEnded, SessionStarted
from tests.unit.adapters.helpers import only, run

ADAPTER = TwilioAdapter(agent_authors=frozenset({"anna@acme.example"}))
CONVERSATION = "CH00000000000000000000000000000001"


def cloudevent(kind: str, **data: Any) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "type": f"com.twilio.conversations.{kind}",
        "source": "/v1/Services/IS0000/Conversations",
        "id": "EZ00000000000000000000000000000001",
        "dataschema": "https://events-schemas.twilio.com/Conversations.MessageAdded/2",
        "datacontenttype": "application/json",
        "time": "2024-05-01T10:00:00.000Z",
        "data": {"ConversationSid": CONVERSATION, **data},
    }


def added(sid: str, author: str, body: str | None, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "MessageSid": sid,
        "Author": author,
        "Index": 3,
        "DateCreated": "2024-05-01T10:00:00Z",
    }
    if body is not None:
        data["MessageBody"] = body
    return cloudevent("message.added", **data, **extra)


def test_event_streams_array_with_customer_bot_and_agent_messages() -> None:
    events = run(
        ADAPTER,
        [
            added("IM1", "whatsapp:+15551230000", "where is my parcel"),
            added("IM2", "system", "Let me look that up."),
            added("IM3", "anna@acme.example", "Hi, Anna here."),
        ],
    )
    customer, bot, agent = only(events, ConversationTurn)
    assert (customer.role, bot.role, agent.role) == (Role.CUSTOMER, Role.BOT, Role.AGENT)
    assert customer.channel is Channel.MESSAGING
    assert customer.customer_id == "whatsapp:+15551230000"
    assert customer.session_id == f"twilio:{CONVERSATION}"
    assert customer.metadata["platform_index"] == 3


def test_attributes_can_declare_the_role() -> None:
    tagged = added(
        "IM4", "web-visitor-7", "I am the bot", Attributes=orjson.dumps({"role": "bot"}).decode()
    )
    [turn] = only(run(ADAPTER, [tagged]), ConversationTurn)
    assert turn.role is Role.BOT


def test_media_only_message_and_empty_message() -> None:
    media = [{"MediaSid": "ME1", "ContentType": "image/png", "Filename": "a.png", "Size": 1}]
    [turn] = run(ADAPTER, added("IM5", "+15551230000", None, Media=media))
    assert isinstance(turn, ConversationTurn)
    assert turn.text == "[media]"
    assert run(ADAPTER, added("IM6", "+15551230000", None)) == []


FORM = {
    "EventType": "onMessageAdded",
    "AccountSid": "AC00000000000000000000000000000001",
    "ChatServiceSid": "IS00000000000000000000000000000001",
    "ConversationSid": CONVERSATION,
    "MessageSid": "IM1",
    "Index": "3",
    "Author": "+15551230000",
    "Body": "where is my parcel",
    "Attributes": "{}",
    "ParticipantSid": "MB00000000000000000000000000000001",
    "DateCreated": "2024-05-01T10:00:00.000Z",
    "Source": "SMS",
    "RetryCount": "0",
}


def test_classic_webhook_form_and_event_streams_give_one_event_per_message() -> None:
    form = decode_body(urlencode(FORM).encode(), "application/x-www-form-urlencoded")
    [classic] = run(ADAPTER, form)
    [streamed] = run(ADAPTER, [added("IM1", "+15551230000", "where is my parcel")])
    assert isinstance(classic, ConversationTurn)
    assert classic.role is Role.CUSTOMER
    assert classic.channel is Channel.MESSAGING
    assert classic.metadata["platform_index"] == 3
    assert classic.event_id == streamed.event_id


def test_conversation_lifecycle() -> None:
    binding = {"Address": "+15551230000", "ProxyAddress": "+15550001111", "Type": "sms"}
    [started] = run(ADAPTER, cloudevent("conversation.added", MessagingBinding=binding))
    assert isinstance(started, SessionStarted)
    assert started.customer_id == "+15551230000"
    closing = {**FORM, "EventType": "onConversationStateUpdated", "StateFrom": "active"}
    [ended] = run(ADAPTER, {**closing, "StateTo": "closed"})
    assert isinstance(ended, SessionEnded)
    assert ended.reason == "closed"
    assert run(ADAPTER, {**closing, "StateTo": "inactive"}) == []
    [removed] = run(ADAPTER, {**FORM, "EventType": "onConversationRemoved"})
    assert isinstance(removed, SessionEnded)


def test_receipts_participants_and_the_sink_test_are_not_turns() -> None:
    assert run(ADAPTER, [cloudevent("participant.added", ParticipantSid="MB1")]) == []
    assert run(ADAPTER, {**FORM, "EventType": "onDeliveryUpdated"}) == []
    sink_test = {"specversion": "1.0", "type": "com.twilio.eventstreams.test-event", "data": {}}
    assert run(ADAPTER, [sink_test]) == []


@pytest.mark.parametrize(
    ("payload", "code", "says"),
    [
        ({"hello": "world"}, "unknown_shape", "neither"),
        ([], "unknown_shape", "no events"),
        (["x"], "unknown_shape", "got a string"),
        (
            [{"specversion": "1.0", "type": "com.twilio.messaging.message.sent", "data": {}}],
            "unsupported_event",
            "com.twilio.messaging.message.sent",
        ),
        ({**FORM, "EventType": "onTeleport"}, "unsupported_event", "onTeleport"),
        (
            [added("IM9", "+1555", "hi") | {"data": {"MessageSid": "IM9"}}],
            "missing_field",
            "ConversationSid",
        ),
    ],
)
def test_unknown_shapes_are_refused_with_what_is_wrong(payload: Any, code: str, says: str) -> None:
    with pytest.raises(BadInput) as info:
        run(ADAPTER, payload)
    assert (info.value.status, info.value.code) == (422, code)
    assert says in info.value.message


# Twilio's published validation example.
TOKEN = "12345"
URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+12349013030",
    "Digits": "1234",
    "From": "+12349013030",
    "To": "+18005551212",
}
FORM_SIGNATURE = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
JSON_BODY = b'{"property": "value", "boolean": true}'
JSON_SIGNATURE = "a9nBmqA0ju/hNViExpshrM61xv4="


def test_form_signature_matches_twilios_example_and_catches_tampering() -> None:
    body = urlencode(PARAMS).encode()
    sig = {"X-Twilio-Signature": FORM_SIGNATURE}
    assert ADAPTER.verify(body, sig, TOKEN, url=URL)
    assert ADAPTER.verify(body, {"x-twilio-signature": FORM_SIGNATURE}, TOKEN, url=URL)
    tampered = urlencode({**PARAMS, "Digits": "9999"}).encode()
    assert not ADAPTER.verify(tampered, sig, TOKEN, url=URL)
    assert not ADAPTER.verify(body, sig, "54321", url=URL)
    assert not ADAPTER.verify(body, sig, TOKEN, url=URL + "&x=1")
    assert not ADAPTER.verify(body, {}, TOKEN, url=URL)


def test_signature_accepts_the_url_with_or_without_its_default_port() -> None:
    body = urlencode(PARAMS).encode()
    with_port = "https://mycompany.com:443/myapp.php?foo=1&bar=2"
    assert ADAPTER.verify(body, {"X-Twilio-Signature": FORM_SIGNATURE}, TOKEN, url=with_port)


def test_json_signature_uses_the_body_hash_in_the_url() -> None:
    body_hash = hashlib.sha256(JSON_BODY).hexdigest()
    url = f"{URL}&bodySHA256={body_hash}"
    sig = {"X-Twilio-Signature": JSON_SIGNATURE}
    assert ADAPTER.verify(JSON_BODY, sig, TOKEN, url=url)
    assert not ADAPTER.verify(JSON_BODY.replace(b"true", b"false"), sig, TOKEN, url=url)
    assert not ADAPTER.verify(JSON_BODY, sig, TOKEN, url=f"{URL}&bodySHA256={'0' * 64}")
