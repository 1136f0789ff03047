"""Twilio Conversations: Event Streams CloudEvents and classic Conversations webhooks.

Event Streams posts a JSON array of CloudEvents (``com.twilio.conversations.*``, data in
PascalCase); the classic Conversations webhook posts a form with ``EventType=onMessageAdded``
and friends. Both name the same ``MessageSid``, so one message arriving both ways is one
event. Twilio has no notion of bot or agent: an author in ``bot_authors`` (``system`` by
default: what Twilio writes when a message is created over the REST API without an author,
the usual way bots post) is the bot, one in ``agent_authors`` an agent, and a message whose
JSON ``Attributes`` carry ``{"role": "customer"|"bot"|"agent"}`` says so itself; anyone else
is the customer.

Signature: ``X-Twilio-Signature`` is base64 HMAC-SHA1, keyed by the account's Auth Token, of
the full request URL followed, for form posts, by every parameter name and value sorted by
name. For JSON bodies Twilio appends ``bodySHA256`` (hex SHA-256 of the body) to the URL and
signs the URL alone.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import orjson

from services.gateway.adapters._fields import (
    Session,
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

PLATFORM = "Twilio Conversations"
SIGNATURE_HEADER = "X-Twilio-Signature"
CLOUDEVENT_PREFIX = "com.twilio.conversations."
SINK_TEST = "com.twilio.eventstreams.test-event"

_ROLES = {"customer": Role.CUSTOMER, "bot": Role.BOT, "agent": Role.AGENT}
_MESSAGING_PREFIXES = ("whatsapp:", "messenger:", "gbm:", "rcs:", "sms:", "+")
_MESSAGING_SOURCES = frozenset({"SMS", "MMS", "WHATSAPP", "MESSENGER", "GBM", "RCS"})

# Known events that carry no turn: edits, deletions, membership, delivery and read receipts,
# and the pre-event hooks (onMessageAdd...) that fire before the post-event ones we read.
IGNORED_CLOUDEVENTS = frozenset(
    {
        "message.updated", "message.removed", "participant.added", "participant.updated",
        "participant.removed", "delivery.updated", "user.added", "user.updated",
    }
)  # fmt: skip
IGNORED_WEBHOOKS = frozenset(
    {
        "onMessageUpdated", "onMessageRemoved", "onParticipantAdded", "onParticipantUpdated",
        "onParticipantRemoved", "onDeliveryUpdated", "onUserAdded", "onUserUpdated",
        "onMessageAdd", "onMessageUpdate", "onMessageRemove", "onConversationAdd",
        "onConversationUpdate", "onConversationRemove", "onParticipantAdd",
        "onParticipantUpdate", "onParticipantRemove", "onUserUpdate",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Event:
    tenant_id: str
    kind: str
    data: dict[str, Any]
    where: str

    def session(self, *, channel: Channel = Channel.CHAT, customer: str | None = None) -> Session:
        conversation = required(self.data, "ConversationSid", self.where)
        return Session("twilio", self.tenant_id, conversation, channel, customer)


class TwilioAdapter:
    """Twilio Conversations events to Baton events."""

    name = "twilio"

    def __init__(
        self,
        *,
        bot_authors: frozenset[str] = frozenset({"system"}),
        agent_authors: frozenset[str] = frozenset(),
    ) -> None:
        self.bot_authors = bot_authors
        self.agent_authors = agent_authors
        self._cloudevents: dict[str, Callable[[_Event], list[Envelope]]] = {
            "message.added": self._message,
            "conversation.added": self._started,
            "conversation.created": self._started,
            "conversation.updated": self._state,
            "conversation.state-updated": self._state,
            "conversation.state_updated": self._state,
            "conversation.removed": self._removed,
            "conversation.deleted": self._removed,
        }
        self._webhooks: dict[str, Callable[[_Event], list[Envelope]]] = {
            "onMessageAdded": self._message,
            "onConversationAdded": self._started,
            "onConversationStateUpdated": self._state,
            "onConversationUpdated": self._state,
            "onConversationRemoved": self._removed,
        }

    def normalize(
        self, payload: Any, *, tenant_id: str, headers: Mapping[str, str]
    ) -> list[Envelope]:
        if isinstance(payload, list):
            if not payload:
                raise BadInput(422, "unknown_shape", "the Event Streams array holds no events")
            out: list[Envelope] = []
            for i, item in enumerate(payload):
                out += self._cloudevent(require_object(item, PLATFORM), tenant_id, f"[{i}]")
            return out
        body = require_object(payload, PLATFORM)
        if "specversion" in body:
            return self._cloudevent(body, tenant_id, "event")
        if "EventType" in body:
            return self._webhook(body, tenant_id)
        raise BadInput(
            422,
            "unknown_shape",
            "expected Event Streams CloudEvents (specversion, type, data) or a Conversations "
            "webhook form (EventType=onMessageAdded...); this body is neither",
        )

    def verify(self, body: bytes, headers: Mapping[str, str], secret: str, *, url: str) -> bool:
        signature = header(headers, SIGNATURE_HEADER)
        if not signature or not secret:
            return False
        query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
        params: list[tuple[str, str]] = []
        if "bodySHA256" in query:
            if not same(hashlib.sha256(body).hexdigest(), query["bodySHA256"].lower()):
                return False
        else:
            try:
                params = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
            except UnicodeDecodeError:
                return False
        return any(same(_sign(secret, u, params), signature) for u in _url_variants(url))

    # --- shapes ------------------------------------------------------------------------------

    def _cloudevent(self, event: dict[str, Any], tenant_id: str, where: str) -> list[Envelope]:
        kind = required(event, "type", where)
        if kind == SINK_TEST:
            return []
        name = kind.removeprefix(CLOUDEVENT_PREFIX)
        if name in IGNORED_CLOUDEVENTS and kind.startswith(CLOUDEVENT_PREFIX):
            return []
        route = self._cloudevents.get(name) if kind.startswith(CLOUDEVENT_PREFIX) else None
        if route is None:
            known = [CLOUDEVENT_PREFIX + k for k in [*self._cloudevents, *IGNORED_CLOUDEVENTS]]
            raise unsupported(PLATFORM, "event type", kind, known)
        return route(_Event(tenant_id, kind, sub(event, "data"), f"{where}.data"))

    def _webhook(self, form: dict[str, Any], tenant_id: str) -> list[Envelope]:
        kind = required(form, "EventType", "form")
        if kind in IGNORED_WEBHOOKS:
            return []
        route = self._webhooks.get(kind)
        if route is None:
            raise unsupported(PLATFORM, "EventType", kind, [*self._webhooks, *IGNORED_WEBHOOKS])
        return route(_Event(tenant_id, kind, form, "form"))

    # --- events ------------------------------------------------------------------------------

    def _message(self, ev: _Event) -> list[Envelope]:
        required(ev.data, "ConversationSid", ev.where)
        key = required(ev.data, "MessageSid", ev.where)
        author = text(ev.data, "Author")
        media = _media_count(ev.data.get("Media"))
        body = text(ev.data, "MessageBody") or text(ev.data, "Body")
        if body is None:
            if not media:
                return []
            body = "[media]"
        role = self._role(author, ev.data)
        session = ev.session(
            channel=_channel(author, text(ev.data, "Source")),
            customer=author if role is Role.CUSTOMER else None,
        )
        index = text(ev.data, "Index")
        metadata = {
            "platform_event": ev.kind,
            "platform_index": int(index) if index and index.isdigit() else None,
            "platform_source": text(ev.data, "Source"),
            "platform_participant": text(ev.data, "ParticipantSid"),
            "platform_media": media or None,
        }
        at = parse_time(ev.data.get("DateCreated"))
        return [session.turn(key, role, body, at=at, metadata=metadata)]

    def _started(self, ev: _Event) -> list[Envelope]:
        binding = sub(ev.data, "MessagingBinding")
        address = text(binding, "Address") or text(ev.data, "MessagingBinding.Address")
        session = ev.session(channel=_channel(address, text(ev.data, "Source")), customer=address)
        return [session.started(at=parse_time(ev.data.get("DateCreated")))]

    def _state(self, ev: _Event) -> list[Envelope]:
        state = text(ev.data, "StateTo") or text(ev.data, "State")
        if state != "closed":
            return []  # active <-> inactive is idle time, not an ending
        at = parse_time(ev.data.get("DateUpdated"))
        return [ev.session().ended("closed", "closed", at=at)]

    def _removed(self, ev: _Event) -> list[Envelope]:
        return [ev.session().ended("removed", "removed")]

    # --- roles -------------------------------------------------------------------------------

    def _role(self, author: str | None, data: Mapping[str, Any]) -> Role:
        declared = _declared_role(data.get("Attributes"))
        if declared is not None:
            return declared
        if author in self.agent_authors:
            return Role.AGENT
        if author is None or author in self.bot_authors:
            return Role.BOT
        return Role.CUSTOMER


def _declared_role(attributes: Any) -> Role | None:
    """Read ``{"role": ...}`` from a message's attributes (a JSON string in Twilio's API)."""
    if isinstance(attributes, str):
        try:
            attributes = orjson.loads(attributes)
        except orjson.JSONDecodeError:
            return None
    if not isinstance(attributes, dict):
        return None
    role = attributes.get("role")
    return _ROLES.get(role.lower()) if isinstance(role, str) else None


def _media_count(media: Any) -> int:
    if isinstance(media, str):
        try:
            media = orjson.loads(media)
        except orjson.JSONDecodeError:
            return 0
    return len(media) if isinstance(media, list) else 0


def _channel(address: str | None, source: str | None) -> Channel:
    if source and source.upper() == "EMAIL":
        return Channel.EMAIL
    if source and source.upper() in _MESSAGING_SOURCES:
        return Channel.MESSAGING
    if address and address.lower().startswith(_MESSAGING_PREFIXES):
        return Channel.MESSAGING
    return Channel.CHAT


def _sign(secret: str, url: str, params: list[tuple[str, str]]) -> str:
    payload = url + "".join(name + value for name, value in sorted(params))
    digest = hmac.new(secret.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _url_variants(url: str) -> list[str]:
    """Return the URL as given, and with its default port added or removed.

    Twilio's own validators accept either spelling, since proxies differ on which they pass.
    """
    parts = urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    if default is None or parts.hostname is None:
        return [url]
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    userinfo = parts.netloc.rpartition("@")[0]
    prefix = f"{userinfo}@" if userinfo else ""
    if parts.port is None:
        other = parts._replace(netloc=f"{prefix}{host}:{default}")
    elif parts.port == default:
        other = parts._replace(netloc=f"{prefix}{host}")
    else:
        return [url]
    return [url, urlunsplit(other)]
