"""Zendesk Sunshine Conversations v2 webhooks: messages, postbacks and switchboard control.

A v2 webhook body is ``{"app", "webhook", "events": [...]}``; each event has an ``id``, a
``type`` and a ``payload`` naming the conversation. User messages are customer turns;
business messages are agent turns when an agent integration (Zendesk Agent Workspace by
default) sent them or holds the switchboard, else bot turns. Control passing to an agent
integration is a system turn (the platform's own handoff); control passing back to a bot,
or released to the default integration, is a ``SessionHandedBack``.

Signature: Sunshine sends the webhook's secret as-is in the ``X-API-Key`` header.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.gateway.adapters._fields import (
    Session,
    items,
    parse_time,
    require_object,
    required,
    sub,
    text,
    unsupported,
)
from services.gateway.adapters.base import BadInput, header, same
from shared.schemas.envelope import Envelope
from shared.schemas.events import Channel, Role

PLATFORM = "Sunshine Conversations"
SIGNATURE_HEADER = "X-API-Key"

# Channels (message source types) that are asynchronous messaging apps rather than live chat.
_MESSAGING = frozenset(
    {
        "apple", "gbm", "instagram", "kakao", "line", "messagebird", "messenger",
        "telegram", "twilio", "twitter", "viber", "wechat", "whatsapp",
    }
)  # fmt: skip
_EMAIL = frozenset({"mailgun", "email"})

# Known events that carry no turn for Baton: receipts, typing, membership, delivery reports.
IGNORED = frozenset(
    {
        "client:add", "client:remove", "client:update",
        "conversation:join", "conversation:leave", "conversation:read", "conversation:referral",
        "conversation:typing", "conversation:message:delivery:channel",
        "conversation:message:delivery:failure", "conversation:message:delivery:user",
        "switchboard:acceptControl:failure", "switchboard:offerControl:failure",
        "switchboard:passControl:failure", "user:merge", "user:remove", "user:update",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Event:
    tenant_id: str
    id: str
    type: str
    at: datetime | None
    payload: dict[str, Any]
    where: str

    @property
    def conversation(self) -> dict[str, Any]:
        return sub(self.payload, "conversation")

    def session(self, *, channel: Channel = Channel.CHAT, customer: str | None = None) -> Session:
        conv_id = required(self.conversation, "id", f"{self.where}.payload.conversation")
        return Session("sunshine", self.tenant_id, conv_id, channel, customer)


class SunshineAdapter:
    """Sunshine Conversations v2 webhooks to Baton events."""

    name = "sunshine"

    def __init__(
        self,
        *,
        agent_integrations: frozenset[str] = frozenset({"zd-agentWorkspace", "human", "agent"}),
        agent_integration_types: frozenset[str] = frozenset({"zd:agentWorkspace"}),
        agent_sources: frozenset[str] = frozenset({"zd:agentWorkspace"}),
    ) -> None:
        self.agent_integrations = agent_integrations
        self.agent_integration_types = agent_integration_types
        self.agent_sources = agent_sources
        self._routes: dict[str, Callable[[_Event], list[Envelope]]] = {
            "conversation:message": self._message,
            "conversation:postback": self._postback,
            "conversation:create": self._created,
            "conversation:remove": self._removed,
            "switchboard:passControl": self._control_taken,
            "switchboard:acceptControl": self._control_taken,
            "switchboard:offerControl": self._control_offered,
            "switchboard:releaseControl": self._control_released,
        }

    def normalize(
        self, payload: Any, *, tenant_id: str, headers: Mapping[str, str]
    ) -> list[Envelope]:
        body = require_object(payload, PLATFORM)
        events = body.get("events")
        if not isinstance(events, list) or not events:
            raise BadInput(
                422,
                "unknown_shape",
                "a Sunshine Conversations v2 webhook carries an 'events' array; this body has none",
            )
        out: list[Envelope] = []
        for i, raw in enumerate(events):
            where = f"events[{i}]"
            if not isinstance(raw, dict):
                raise BadInput(422, "unknown_shape", f"{where} is not a JSON object")
            kind = required(raw, "type", where)
            if kind in IGNORED:
                continue
            route = self._routes.get(kind)
            if route is None:
                raise unsupported(PLATFORM, "event type", kind, [*self._routes, *IGNORED])
            event = _Event(
                tenant_id=tenant_id,
                id=required(raw, "id", where),
                type=kind,
                at=parse_time(raw.get("createdAt")),
                payload=sub(raw, "payload"),
                where=where,
            )
            out += route(event)
        return out

    def verify(self, body: bytes, headers: Mapping[str, str], secret: str, *, url: str) -> bool:
        return same(header(headers, SIGNATURE_HEADER), secret)

    # --- events ------------------------------------------------------------------------------

    def _message(self, ev: _Event) -> list[Envelope]:
        msg = sub(ev.payload, "message")
        key = required(msg, "id", f"{ev.where}.payload.message")
        author, source, content = sub(msg, "author"), sub(msg, "source"), sub(msg, "content")
        kind = text(author, "type")
        if kind == "user":
            role = Role.CUSTOMER
        elif kind == "business":
            role = self._business_role(source, ev.conversation)
        else:
            raise BadInput(
                422,
                "unknown_shape",
                f"{ev.where}.payload.message.author.type is {kind!r}; expected user or business",
            )
        body = _content_text(content)
        if body is None:
            return []
        user = sub(author, "user")
        customer = text(user, "externalId") or text(author, "userId") or text(user, "id")
        session = ev.session(channel=_channel(text(source, "type")), customer=customer)
        metadata = {
            "platform_event": ev.type,
            "platform_source": text(source, "type"),
            "platform_content_type": text(content, "type"),
            "platform_original_message_id": text(source, "originalMessageId"),
            "platform_switchboard": text(
                sub(ev.conversation, "activeSwitchboardIntegration"), "name"
            ),
        }
        at = parse_time(msg.get("received")) or ev.at
        return [session.turn(key, role, body, at=at, metadata=metadata)]

    def _postback(self, ev: _Event) -> list[Envelope]:
        # A button the customer pressed ("Talk to a person") is something the customer said.
        postback = sub(ev.payload, "postback")
        body = text(postback, "actionName") or text(postback, "payload")
        if body is None:
            return []
        user, source = sub(ev.payload, "user"), sub(ev.payload, "source")
        session = ev.session(
            channel=_channel(text(source, "type")),
            customer=text(user, "externalId") or text(user, "id"),
        )
        metadata = {
            "platform_event": ev.type,
            "platform_source": text(source, "type"),
            "platform_postback": text(postback, "payload"),
        }
        return [session.turn(ev.id, Role.CUSTOMER, body, at=ev.at, metadata=metadata)]

    def _created(self, ev: _Event) -> list[Envelope]:
        user, source = sub(ev.payload, "user"), sub(ev.payload, "source")
        session = ev.session(
            channel=_channel(text(source, "type")),
            customer=text(user, "externalId") or text(user, "id"),
        )
        metadata = {
            "platform_source": text(source, "type"),
            "platform_creation_reason": text(ev.payload, "creationReason"),
        }
        return [session.started(at=ev.at, metadata=metadata)]

    def _removed(self, ev: _Event) -> list[Envelope]:
        return [ev.session().ended(ev.id, "removed", at=ev.at)]

    def _control_taken(self, ev: _Event) -> list[Envelope]:
        active = sub(ev.conversation, "activeSwitchboardIntegration")
        if not active:
            return []
        name = text(active, "name") or text(active, "integrationType") or "unknown"
        session = ev.session()
        if self._is_agent(active):
            return [
                session.turn(
                    f"{ev.type}:{ev.id}",
                    Role.SYSTEM,
                    f"Conversation control passed to the agent integration '{name}'.",
                    at=ev.at,
                    metadata={"platform_event": ev.type, "platform_control": "agent"},
                )
            ]
        note = f"{ev.type}: control passed to '{name}'"
        return [session.handed_back(f"{ev.type}:{ev.id}", note, at=ev.at)]

    def _control_offered(self, ev: _Event) -> list[Envelope]:
        pending = sub(ev.conversation, "pendingSwitchboardIntegration")
        if not self._is_agent(pending):
            return []  # an offer back to a bot means nothing until it is accepted
        name = text(pending, "name") or "agent"
        return [
            ev.session().turn(
                f"{ev.type}:{ev.id}",
                Role.SYSTEM,
                f"Conversation control offered to the agent integration '{name}'.",
                at=ev.at,
                metadata={"platform_event": ev.type, "platform_control": "offered"},
            )
        ]

    def _control_released(self, ev: _Event) -> list[Envelope]:
        note = f"{ev.type}: control released to the default integration"
        return [ev.session().handed_back(f"{ev.type}:{ev.id}", note, at=ev.at)]

    # --- roles -------------------------------------------------------------------------------

    def _is_agent(self, integration: Mapping[str, Any]) -> bool:
        return (
            text(integration, "name") in self.agent_integrations
            or text(integration, "integrationType") in self.agent_integration_types
        )

    def _business_role(self, source: Mapping[str, Any], conversation: Mapping[str, Any]) -> Role:
        if text(source, "type") in self.agent_sources:
            return Role.AGENT
        if self._is_agent(sub(conversation, "activeSwitchboardIntegration")):
            return Role.AGENT
        return Role.BOT


def _content_text(content: Mapping[str, Any]) -> str | None:
    """Return what a message says: its text, a fallback, or a marker like ``[image]``."""
    body = text(content, "text") or text(content, "textFallback") or text(content, "altText")
    if body is None and items(content, "fields"):
        answers = [text(f, "text") or text(f, "email") for f in items(content, "fields")]
        body = "\n".join(a for a in answers if a) or None
    if body is None:
        kind = text(content, "type")
        return f"[{kind}]" if kind else None
    return body


def _channel(source_type: str | None) -> Channel:
    if source_type in _EMAIL:
        return Channel.EMAIL
    if source_type in _MESSAGING:
        return Channel.MESSAGING
    return Channel.CHAT
