"""Sunshine Conversations v2: who spoke, switchboard control, signature, idempotency.

Payloads follow the v2 webhook schema (developer.zendesk.com conversations webhooks;
zendesk/sunshine-conversations-api-spec) beyond the published samples.
"""

from __future__ import annotations

from typing import Any

import pytest

from services.gateway.adapters import SunshineAdapter
from services.gateway.handlers import BadInput
from shared.schemas.events import (
    Channel,
    ConversationTurn,
    Role,
    SessionEnded,
    SessionHandedBack,
)
from tests.unit.adapters.helpers import only, run

ADAPTER = SunshineAdapter()
AGENT_WORKSPACE = {
    "id": "5ef9fb4e9c1c4e0012345678",
    "name": "zd-agentWorkspace",
    "integrationId": "5ef9fb4e9c1c4e0087654321",
    "integrationType": "zd:agentWorkspace",
}
ANSWER_BOT = {
    "id": "5ef9fb4e9c1c4e0011111111",
    "name": "zd-answerBot",
    "integrationId": "5ef9fb4e9c1c4e0022222222",
    "integrationType": "zd:answerBot",
}


def webhook(*events: dict[str, Any]) -> dict[str, Any]:
    return {
        "app": {"id": "5ebee0975ac5304b664a12fa"},
        "webhook": {"id": "5f4eaef81e3dcc117c7ba48a", "version": "v2"},
        "events": list(events),
    }


def message(
    msg_id: str,
    *,
    author: dict[str, Any],
    content: dict[str, Any],
    source: str = "web",
    active: dict[str, Any] | None = None,
) -> dict[str, Any]:
    conversation: dict[str, Any] = {"id": "conv-1", "type": "personal"}
    if active is not None:
        conversation["activeSwitchboardIntegration"] = active
    return {
        "id": f"evt-{msg_id}",
        "createdAt": "2024-05-01T10:00:00.000Z",
        "type": "conversation:message",
        "payload": {
            "conversation": conversation,
            "message": {
                "id": msg_id,
                "received": "2024-05-01T10:00:00.500Z",
                "author": author,
                "content": content,
                "source": {"type": source, "integrationId": "5ecff63ffc3ab25f4561c8a0"},
            },
        },
    }


USER = {
    "type": "user",
    "userId": "u-1",
    "displayName": "Steve Rogers",
    "user": {"id": "u-1", "externalId": "crm-42"},
}
BUSINESS = {"type": "business", "displayName": "Support"}


def control(kind: str, **conversation: Any) -> dict[str, Any]:
    return {
        "id": f"evt-{kind}",
        "createdAt": "2024-05-01T10:05:00.000Z",
        "type": kind,
        "payload": {"conversation": {"id": "conv-1", "type": "personal", **conversation}},
    }


def test_user_business_bot_and_agent_messages_get_their_roles() -> None:
    events = run(
        ADAPTER,
        webhook(
            message("m1", author=USER, content={"type": "text", "text": "my card was declined"}),
            message(
                "m2",
                author=BUSINESS,
                content={"type": "text", "text": "Let me check."},
                source="zd:answerBot",
                active=ANSWER_BOT,
            ),
            message(
                "m3",
                author=BUSINESS,
                content={"type": "text", "text": "Hi, Anna here."},
                source="zd:agentWorkspace",
                active=AGENT_WORKSPACE,
            ),
        ),
    )
    customer, bot, agent = only(events, ConversationTurn)
    assert (customer.role, bot.role, agent.role) == (Role.CUSTOMER, Role.BOT, Role.AGENT)
    assert customer.customer_id == "crm-42"
    assert bot.customer_id is None and agent.customer_id is None
    assert customer.text == "my card was declined"
    assert customer.metadata["platform_message_id"] == "m1"
    assert customer.occurred_at.isoformat() == "2024-05-01T10:00:00.500000+00:00"


def test_business_message_while_the_agent_workspace_holds_control_is_an_agent_turn() -> None:
    events = run(
        ADAPTER,
        webhook(
            message(
                "m4",
                author=BUSINESS,
                content={"type": "text", "text": "Agent here"},
                source="api",
                active=AGENT_WORKSPACE,
            )
        ),
    )
    assert only(events, ConversationTurn)[0].role is Role.AGENT


def test_media_without_text_and_messaging_channels() -> None:
    events = run(
        ADAPTER,
        webhook(
            message(
                "m5",
                author=USER,
                content={"type": "image", "mediaUrl": "https://x/y.png"},
                source="whatsapp",
            )
        ),
    )
    [turn] = only(events, ConversationTurn)
    assert turn.text == "[image]"
    assert turn.channel is Channel.MESSAGING


def test_control_passed_to_the_agent_workspace_is_the_platforms_handoff() -> None:
    events = run(
        ADAPTER,
        webhook(control("switchboard:passControl", activeSwitchboardIntegration=AGENT_WORKSPACE)),
    )
    [turn] = only(events, ConversationTurn)
    assert turn.role is Role.SYSTEM
    assert turn.metadata["platform_control"] == "agent"


def test_control_back_to_the_bot_is_a_hand_back() -> None:
    events = run(
        ADAPTER,
        webhook(
            control("switchboard:passControl", activeSwitchboardIntegration=ANSWER_BOT),
            control("switchboard:releaseControl"),
        ),
    )
    backs = only(events, SessionHandedBack)
    assert len(backs) == 2
    assert "zd-answerBot" in (backs[0].note or "")
    assert len({b.event_id for b in backs}) == 2


def test_an_offer_to_a_bot_means_nothing_until_accepted() -> None:
    offer = control("switchboard:offerControl", pendingSwitchboardIntegration=ANSWER_BOT)
    assert run(ADAPTER, webhook(offer)) == []


def test_removed_conversation_ends_the_session() -> None:
    [ended] = run(ADAPTER, webhook(control("conversation:remove")))
    assert isinstance(ended, SessionEnded)
    assert ended.reason == "removed"


def test_typing_read_and_delivery_receipts_are_not_turns() -> None:
    assert run(ADAPTER, webhook(control("conversation:typing"), control("conversation:read"))) == []


def test_same_webhook_twice_gives_the_same_events() -> None:
    body = webhook(message("m1", author=USER, content={"type": "text", "text": "hello"}))
    first, again = run(ADAPTER, body), run(ADAPTER, body)
    assert [e.event_id for e in first] == [e.event_id for e in again]
    other_tenant = ADAPTER.normalize(body, tenant_id="globex", headers={})
    assert other_tenant[0].event_id != first[0].event_id


@pytest.mark.parametrize(
    ("body", "code", "says"),
    [
        ({"app": {}}, "unknown_shape", "'events' array"),
        (webhook({"type": "conversation:message"}), "missing_field", "events[0].id"),
        (webhook(control("conversation:teleport")), "unsupported_event", "conversation:teleport"),
        (
            webhook(
                {"id": "e", "type": "conversation:message", "payload": {"message": {"id": "m"}}}
            ),
            "unknown_shape",
            "author.type",
        ),
        (
            webhook(
                {
                    "id": "e",
                    "type": "conversation:message",
                    "payload": {"message": {"id": "m", "author": USER, "content": {"text": "x"}}},
                }
            ),
            "missing_field",
            "payload.conversation.id",
        ),
    ],
)
def test_unknown_shapes_are_refused_with_what_is_wrong(
    body: dict[str, Any], code: str, says: str
) -> None:
    with pytest.raises(BadInput) as info:
        run(ADAPTER, body)
    assert (info.value.status, info.value.code) == (422, code)
    assert says in info.value.message


def test_signature_is_the_webhook_secret_in_x_api_key() -> None:
    url = "https://baton.example/v1/ingest/sunshine"
    assert ADAPTER.verify(b"{}", {"X-API-Key": "whsec"}, "whsec", url=url)
    assert ADAPTER.verify(b"{}", {"x-api-key": "whsec"}, "whsec", url=url)
    assert not ADAPTER.verify(b"{}", {"X-API-Key": "whsec-tampered"}, "whsec", url=url)
    assert not ADAPTER.verify(b"{}", {}, "whsec", url=url)
    assert not ADAPTER.verify(b"{}", {"X-API-Key": ""}, "", url=url)
