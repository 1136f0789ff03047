"""Chatwoot account webhooks and agent-bot webhooks.

Both post the same JSON: a message (``message_created``) or a conversation
(``conversation_created``, ``conversation_status_changed``, ``conversation_updated``, and for
agent bots ``conversation_opened`` / ``conversation_resolved``) with an ``event`` field.
A conversation's ``id`` is its per-account display id, so Baton's session id is
``"chatwoot:{account_id}:{display_id}"``, the pair Chatwoot's API needs to post back (the
outbound connector in ``services.chatwoot`` parses it). Timestamps come
as ISO strings or unix integers, ``message_type`` as a name or its integer, ``sender`` may be
null. Incoming messages are the customer's; outgoing ones an agent's when a user (agent)
sent them, else the bot's (agent bots, automations, a null sender); templates are the bot's;
activity messages and private notes are nobody's turn.

Status: pending is the bot's, open the agents'. pending -> open is Chatwoot's handoff (a
system turn); -> pending is a hand-back; -> resolved a resolution. ``conversation_updated``
reports the same status changes, so Baton reads only its assignee and team changes.

Signature: Chatwoot signs with a per-webhook secret: ``X-Chatwoot-Signature: sha256=<hex>``,
HMAC-SHA256 of ``"{X-Chatwoot-Timestamp}.{raw body}"`` (chatwoot/chatwoot#13573; agent bots
and API inboxes since #13892). Installations older than that sign nothing: their webhook URL
must then carry the shared token as ``?baton_token=`` (Chatwoot cannot add headers).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
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
from services.gateway.adapters.base import BadInput, header, hmac_hex, same, token_matches
from shared.schemas.envelope import Envelope
from shared.schemas.events import Channel, JsonScalar, Role

PLATFORM = "Chatwoot"
SIGNATURE_HEADER = "X-Chatwoot-Signature"
TIMESTAMP_HEADER = "X-Chatwoot-Timestamp"

MESSAGE_TYPES = {0: "incoming", 1: "outgoing", 2: "activity", 3: "template"}
_EMAIL = frozenset({"Channel::Email"})
_VOICE = frozenset({"Channel::Voice"})
_CHAT = frozenset({"Channel::WebWidget", "Channel::Api"})

# Known events that carry no turn: edits, widget opens, contacts, typing and presence.
IGNORED = frozenset(
    {
        "message_updated", "webwidget_triggered", "contact_created", "contact_updated",
        "contact_merged", "conversation_typing_on", "conversation_typing_off",
        "inbox_created", "inbox_updated",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Conversation:
    tenant_id: str
    account_id: str
    display_id: str
    data: dict[str, Any]

    def session(self) -> Session:
        meta = sub(self.data, "meta")
        contact = text(sub(meta, "sender"), "id") or text(
            sub(self.data, "contact_inbox"), "contact_id"
        )
        return Session(
            "chatwoot",
            self.tenant_id,
            f"{self.account_id}:{self.display_id}",
            _channel(text(self.data, "channel")),
            contact,
        )

    @property
    def version(self) -> str:
        """Return a stamp of this state of the conversation (one status change, one stamp)."""
        data = self.data
        return (
            text(data, "updated_at")
            or text(data, "timestamp")
            or text(data, "last_activity_at")
            or "-"
        )


class ChatwootAdapter:
    """Chatwoot webhooks (account, API inbox and agent bot) to Baton events."""

    name = "chatwoot"

    def __init__(
        self, *, max_skew_seconds: int = 300, clock: Callable[[], float] = time.time
    ) -> None:
        self.max_skew_seconds = max_skew_seconds
        self.clock = clock
        self._routes: dict[str, Callable[[dict[str, Any], str], list[Envelope]]] = {
            "message_created": self._message_created,
            "conversation_created": self._created,
            "conversation_status_changed": self._status_changed,
            "conversation_updated": self._updated,
            "conversation_opened": self._opened,
            "conversation_resolved": self._resolved,
        }

    def normalize(
        self, payload: Any, *, tenant_id: str, headers: Mapping[str, str]
    ) -> list[Envelope]:
        body = require_object(payload, PLATFORM)
        event = required(body, "event", "body")
        if event in IGNORED:
            return []
        route = self._routes.get(event)
        if route is None:
            raise unsupported(PLATFORM, "event", event, [*self._routes, *IGNORED])
        return route(body, tenant_id)

    def verify(self, body: bytes, headers: Mapping[str, str], secret: str, *, url: str) -> bool:
        signature = header(headers, SIGNATURE_HEADER)
        if signature is None:
            return token_matches(headers, secret, url=url)
        stamp = (header(headers, TIMESTAMP_HEADER) or "").strip()
        if not secret or not stamp.isdigit():
            return False
        if abs(self.clock() - int(stamp)) > self.max_skew_seconds:
            return False  # a replay of an old delivery
        expected = "sha256=" + hmac_hex(secret, stamp.encode() + b"." + body, "sha256")
        return same(signature.strip(), expected)

    # --- messages ----------------------------------------------------------------------------

    def _message_created(self, body: dict[str, Any], tenant_id: str) -> list[Envelope]:
        conversation = sub(body, "conversation")
        display_id = text(conversation, "display_id") or text(conversation, "id")
        if display_id is None:
            raise BadInput(422, "missing_field", "body.conversation.id (display id) is missing")
        conv = _Conversation(tenant_id, _account_id(body), display_id, conversation)
        return _message(body, conv, "message_created", "body")

    # --- conversations -----------------------------------------------------------------------

    def _conversation(self, body: dict[str, Any], tenant_id: str) -> _Conversation:
        return _Conversation(tenant_id, _account_id(body), required(body, "id", "body"), body)

    def _created(self, body: dict[str, Any], tenant_id: str) -> list[Envelope]:
        conv = self._conversation(body, tenant_id)
        meta: dict[str, JsonScalar] = {
            "platform_inbox": text(body, "inbox_id"),
            "platform_status": text(body, "status"),
        }
        out: list[Envelope] = [
            conv.session().started(at=parse_time(body.get("created_at")), metadata=meta)
        ]
        for i, message in enumerate(items(body, "messages")):
            out += _message(message, conv, "conversation_created", f"body.messages[{i}]")
        return out

    def _status_changed(self, body: dict[str, Any], tenant_id: str) -> list[Envelope]:
        conv = self._conversation(body, tenant_id)
        status = text(body, "status")
        before = _previous(body, "status")
        if status == "resolved":
            return self._resolved(body, tenant_id)
        if status == "open" and before in (None, "pending"):
            return [_opened_turn(conv, "conversation_status_changed")]
        if status == "pending" and before != "pending":
            note = f"conversation_status_changed: {before or 'unknown'} -> pending (bot)"
            return [conv.session().handed_back(f"status:pending:{conv.version}", note)]
        return []  # snoozed, or open after resolved/snoozed: nothing changes hands

    def _updated(self, body: dict[str, Any], tenant_id: str) -> list[Envelope]:
        conv = self._conversation(body, tenant_id)
        out: list[Envelope] = []
        for field, who in (("assignee_id", "an agent"), ("team_id", "a team")):
            if _changed(body, field) and (now := _current(body, field)) is not None:
                out.append(
                    conv.session().turn(
                        f"{field}:{now}:{conv.version}",
                        Role.SYSTEM,
                        f"Conversation assigned to {who}.",
                        metadata={"platform_event": "conversation_updated", field: now},
                    )
                )
        return out

    def _opened(self, body: dict[str, Any], tenant_id: str) -> list[Envelope]:
        return [_opened_turn(self._conversation(body, tenant_id), "conversation_opened")]

    def _resolved(self, body: dict[str, Any], tenant_id: str) -> list[Envelope]:
        conv = self._conversation(body, tenant_id)
        by = Role.AGENT if sub(sub(body, "meta"), "assignee") else Role.BOT
        return [conv.session().resolved(f"status:resolved:{conv.version}", by)]


def _message(
    message: dict[str, Any], conv: _Conversation, event: str, where: str
) -> list[Envelope]:
    key = required(message, "id", where)
    kind = message.get("message_type")
    kind = MESSAGE_TYPES.get(kind, str(kind)) if isinstance(kind, int) else kind
    if message.get("private") is True or kind == "activity":
        return []  # private notes are agents talking to agents; activity is Chatwoot's log
    sender = message.get("sender")
    sender = sender if isinstance(sender, dict) else {}
    sender_type = (text(sender, "type") or "").lower()
    if kind == "incoming":
        role = Role.CUSTOMER
    elif kind == "outgoing":
        role = Role.AGENT if sender_type == "user" else Role.BOT
    elif kind == "template":
        role = Role.BOT
    else:
        raise BadInput(
            422,
            "unknown_shape",
            f"{where}.message_type is {kind!r}; expected incoming, outgoing, activity or template",
        )
    content = text(message, "content")
    if content is None:
        if not items(message, "attachments"):
            return []
        content = "[attachment]"
    session = conv.session()
    if role is Role.CUSTOMER and sender_type == "contact" and text(sender, "id"):
        session = replace(session, customer_id=text(sender, "id"))
    metadata: dict[str, JsonScalar] = {
        "platform_event": event,
        "platform_message_type": kind,
        "platform_content_type": text(message, "content_type"),
        "platform_sender_type": sender_type or None,
        "platform_status": text(conv.data, "status"),
    }
    at = parse_time(message.get("created_at"))
    return [session.turn(key, role, content, at=at, metadata=metadata)]


def _opened_turn(conv: _Conversation, event: str) -> Envelope:
    return conv.session().turn(
        f"status:open:{conv.version}",
        Role.SYSTEM,
        "Conversation opened for agents.",
        metadata={"platform_event": event, "platform_control": "agent"},
    )


def _account_id(body: Mapping[str, Any]) -> str:
    """Find the account a display id belongs to, wherever this payload version put it."""
    found = (
        text(sub(body, "account"), "id")
        or text(body, "account_id")
        or text(sub(body, "conversation"), "account_id")
        or next((text(m, "account_id") for m in items(body, "messages") if "account_id" in m), None)
    )
    if found is None:
        raise BadInput(
            422,
            "missing_field",
            "the payload names no account (account.id or account_id); a conversation id is "
            "only unique within its account",
        )
    return found


def _changes(body: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Flatten ``changed_attributes`` (a list of one-key objects, or one object) into a dict."""
    raw = body.get("changed_attributes")
    parts = raw if isinstance(raw, list) else [raw]
    out: dict[str, dict[str, Any]] = {}
    for part in parts:
        if isinstance(part, dict):
            out.update({k: v for k, v in part.items() if isinstance(v, dict)})
    return out


def _changed(body: Mapping[str, Any], field: str) -> bool:
    return field in _changes(body)


def _previous(body: Mapping[str, Any], field: str) -> str | None:
    return text(_changes(body).get(field, {}), "previous_value")


def _current(body: Mapping[str, Any], field: str) -> str | None:
    return text(_changes(body).get(field, {}), "current_value")


def _channel(kind: str | None) -> Channel:
    if kind in _EMAIL:
        return Channel.EMAIL
    if kind in _VOICE:
        return Channel.VOICE
    if kind is None or kind in _CHAT:
        return Channel.CHAT
    return Channel.MESSAGING
