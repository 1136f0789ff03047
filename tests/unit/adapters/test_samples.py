"""Every official sample payload in ../shared/payloads maps to the events it should."""

from __future__ import annotations

import json
import re

import pytest

from services.gateway.adapters import ADAPTERS, decode_body
from services.gateway.handlers import BadInput
from shared.schemas.events import ConversationTurn, SessionEnded
from tests.unit.adapters.helpers import SAMPLES, TENANT, run

pytestmark = pytest.mark.skipif(
    not SAMPLES.is_dir(), reason=f"the published samples are not at {SAMPLES}"
)

FOLDERS = {
    "sunshine_conversations": "sunshine",
    "twilio_conversations": "twilio",
    "amazon_connect": "connect",
}
INVALID_AS_PUBLISHED = "amazon_connect/contact_event_disconnected_eventbridge.json"

# (event_type, role or None) per sample, in order.
EXPECTED: dict[str, list[tuple[str, str | None]]] = {
    "sunshine_conversations/webhook_conversation_create.json": [("session.started", None)],
    "sunshine_conversations/webhook_conversation_join.json": [],
    "sunshine_conversations/webhook_conversation_message.json": [("conversation.turn", "customer")],
    "sunshine_conversations/webhook_conversation_message_delivery_failure.json": [],
    "sunshine_conversations/webhook_conversation_postback.json": [
        ("conversation.turn", "customer")
    ],
    "sunshine_conversations/webhook_conversation_read.json": [],
    "sunshine_conversations/webhook_conversation_typing.json": [],
    # The samples' active integration is named "bot": control passing to it is a hand-back.
    "sunshine_conversations/webhook_switchboard_acceptControl.json": [
        ("session.handed_back", None)
    ],
    "sunshine_conversations/webhook_switchboard_passControl.json": [("session.handed_back", None)],
    "sunshine_conversations/webhook_switchboard_releaseControl.json": [
        ("session.handed_back", None)
    ],
    "sunshine_conversations/webhook_switchboard_offerControl.json": [
        ("conversation.turn", "system")
    ],
    "twilio_conversations/eventstreams_conversations_message_added.json": [
        ("conversation.turn", "bot")
    ],
    "twilio_conversations/eventstreams_conversations_participant_added.json": [],
    "amazon_connect/contact_event_connected_to_agent_detail.json": [
        ("conversation.turn", "system")
    ],
    "amazon_connect/contact_lens_rt_started.json": [("session.started", None)],
    "amazon_connect/contact_lens_rt_completed.json": [("session.ended", None)],
    "amazon_connect/contact_lens_rt_failed.json": [],
    "amazon_connect/contact_lens_rt_segments.json": [
        ("conversation.turn", "agent"),
        ("conversation.turn", "customer"),
    ],
    "amazon_connect/contact_lens_rt_segments_newer_docs.json": [
        ("conversation.turn", "agent"),
        ("conversation.turn", "customer"),
    ],
}

ALL = sorted(p.relative_to(SAMPLES).as_posix() for p in SAMPLES.rglob("*.json") if SAMPLES.is_dir())


def test_every_sample_is_accounted_for() -> None:
    assert sorted([*EXPECTED, INVALID_AS_PUBLISHED]) == ALL


@pytest.mark.parametrize("name", [n for n in ALL if n != INVALID_AS_PUBLISHED])
def test_sample_normalizes(name: str) -> None:
    adapter = ADAPTERS[FOLDERS[name.split("/", 1)[0]]]
    body = (SAMPLES / name).read_bytes()
    events = run(adapter, decode_body(body, "application/json"))
    assert [(e.event_type, getattr(e, "role", None)) for e in events] == EXPECTED[name]
    assert all(e.tenant_id == TENANT for e in events)


def test_the_invalid_amazon_sample_is_refused_with_what_is_wrong() -> None:
    body = (SAMPLES / INVALID_AS_PUBLISHED).read_bytes()
    with pytest.raises(json.JSONDecodeError):
        json.loads(body)
    with pytest.raises(BadInput) as info:
        decode_body(body, "application/json")
    assert (info.value.status, info.value.code) == (400, "invalid_json")
    assert "not valid JSON" in info.value.message


def test_the_invalid_amazon_sample_without_its_trailing_comma_is_a_disconnect() -> None:
    fixed = re.sub(r",(\s*})", r"\1", (SAMPLES / INVALID_AS_PUBLISHED).read_text())
    events = run(ADAPTERS["connect"], json.loads(fixed))
    [ended] = events
    assert isinstance(ended, SessionEnded)
    assert ended.reason == "disconnected"
    assert ended.session_id == "connect:11111111-1111-1111-1111-111111111111"


def test_connect_transcripts_keep_sentiment_issues_and_categories() -> None:
    name = "amazon_connect/contact_lens_rt_segments_newer_docs.json"
    events = run(ADAPTERS["connect"], json.loads((SAMPLES / name).read_text()))
    agent, customer = (e for e in events if isinstance(e, ConversationTurn))
    assert agent.metadata["platform_sentiment"] == "neutral"
    assert customer.metadata["platform_sentiment"] == "negative"
    assert customer.metadata["platform_issue_count"] == 1
    assert str(customer.metadata["platform_issues"]).startswith("I'm having trouble submitting")
    assert customer.metadata["platform_categories"] == "CardBrokenIssue,CreditCardRelated"
    assert customer.channel == "voice"
    assert customer.language == "en-US"
