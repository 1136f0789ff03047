"""Intercom conversation webhooks (``notification_event`` with a conversation ``item``).

``conversation.user.created`` and ``conversation.admin.single.created`` open a session with
the conversation's first message (``source``); the other conversation topics carry the new
``conversation_parts``. A part's author says who spoke: user, lead or contact is the
customer, admin or team an agent, bot (Fin, Operator) the bot. Notes are never turns;
assignment to an admin or team is a system turn (the platform's own handoff); a close is a
resolution, plus a turn when the closing reply has a body. Bodies are HTML, stripped to text.

Signature: ``X-Hub-Signature: sha1=<hex>``, HMAC-SHA1 of the raw body keyed by the app's
client secret.
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
from services.gateway.adapters._html import html_to_text
from services.gateway.adapters.base import BadInput, header, hmac_hex, same
from shared.schemas.envelope import Envelope
from shared.schemas.events import Channel, JsonScalar, Role

PLATFORM = "Intercom"
SIGNATURE_HEADER = "X-Hub-Signature"

AUTHORS = {
    "user": Role.CUSTOMER,
    "lead": Role.CUSTOMER,
    "contact": Role.CUSTOMER,
    "admin": Role.AGENT,
    "team": Role.AGENT,
    "bot": Role.BOT,
}
# Parts whose body the customer sees: replies, and replies sent while closing or reopening.
SPOKEN_PARTS = frozenset({"comment", "close", "open", "snoozed", "unsnoozed"})
ASSIGNMENT_PARTS = frozenset(
    {"assignment", "default_assignment", "away_mode_assignment", "assign_and_reopen"}
)
_CHANNELS = {
    "email": Channel.EMAIL,
    "phone_call": Channel.VOICE,
    "phone_switch": Channel.VOICE,
    "facebook": Channel.MESSAGING,
    "instagram": Channel.MESSAGING,
    "sms": Channel.MESSAGING,
    "twitter": Channel.MESSAGING,
    "whatsapp": Channel.MESSAGING,
}

# Known topics with nothing for Baton: the set-up ping, notes, reads, ratings, tags.
IGNORED = frozenset(
    {
        "ping", "conversation.admin.noted", "conversation.read", "conversation.rating.added",
        "conversation_part.tag.created", "conversation_part.redacted",
        "conversation.priority.updated", "conversation.contact.attached",
        "conversation.contact.detached",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Note:
    topic: str
    conversation: dict[str, Any]
    session: Session
    at: datetime | None


class IntercomAdapter:
    """Intercom conversation notifications to Baton events."""

    name = "intercom"

    def __init__(self) -> None:
        parts = self._parts
        self._routes: dict[str, Callable[[_Note], list[Envelope]]] = {
            "conversation.user.created": self._created,
            "conversation.admin.single.created": self._created,
            "conversation.user.replied": parts,
            "conversation.admin.replied": parts,
            "conversation.operator.replied": parts,
            "conversation.admin.assigned": parts,
            "conversation.admin.closed": parts,
            "conversation.admin.opened": parts,
            "conversation.admin.snoozed": parts,
            "conversation.admin.unsnoozed": parts,
            "conversation.deleted": self._deleted,
        }

    def normalize(
        self, payload: Any, *, tenant_id: str, headers: Mapping[str, str]
    ) -> list[Envelope]:
        body = require_object(payload, PLATFORM)
        if body.get("type") != "notification_event":
            raise BadInput(
                422,
                "unknown_shape",
                "expected an Intercom notification (type 'notification_event', topic, data.item)",
            )
        topic = required(body, "topic", "body")
        if topic in IGNORED:
            return []
        route = self._routes.get(topic)
        if route is None:
            raise unsupported(PLATFORM, "topic", topic, [*self._routes, *IGNORED])
        item = sub(sub(body, "data"), "item")
        source = _source(item)
        session = Session(
            "intercom",
            tenant_id,
            required(item, "id", "data.item"),
            _CHANNELS.get(text(source, "type") or "", Channel.CHAT),
            _customer(item),
        )
        at = parse_time(body.get("created_at"))
        return route(_Note(topic, item, session, at))

    def verify(self, body: bytes, headers: Mapping[str, str], secret: str, *, url: str) -> bool:
        if not secret:
            return False
        expected = "sha1=" + hmac_hex(secret, body, "sha1")
        return same((header(headers, SIGNATURE_HEADER) or "").strip().lower(), expected)

    # --- topics ------------------------------------------------------------------------------

    def _created(self, note: _Note) -> list[Envelope]:
        item, session = note.conversation, note.session
        opened = parse_time(item.get("created_at")) or note.at
        out: list[Envelope] = [session.started(at=opened)]
        source = _source(item)
        body = _body(source)
        if body is not None:
            role = _role(sub(source, "author"), "data.item.source.author")
            key = text(source, "id") or "source"
            meta = {"platform_event": note.topic, "platform_part_type": "source"}
            out.append(session.turn(key, role, body, at=opened, metadata=meta))
        return out + self._parts(note)

    def _parts(self, note: _Note) -> list[Envelope]:
        parts = items(sub(note.conversation, "conversation_parts"), "conversation_parts")
        out: list[Envelope] = []
        for i, part in enumerate(parts):
            out += _part(part, note, f"data.item.conversation_parts.conversation_parts[{i}]")
        return out

    def _deleted(self, note: _Note) -> list[Envelope]:
        return [note.session.ended("deleted", "deleted", at=note.at)]


def _part(part: dict[str, Any], note: _Note, where: str) -> list[Envelope]:
    kind = text(part, "part_type") or ""
    if kind == "note":
        return []  # agents talking to agents
    key = required(part, "id", where)
    at = parse_time(part.get("created_at")) or note.at
    meta: dict[str, JsonScalar] = {"platform_event": note.topic, "platform_part_type": kind}
    if kind in ASSIGNMENT_PARTS:
        assignee = sub(part, "assigned_to")
        target = text(assignee, "type")
        if target not in ("admin", "team"):
            return []  # unassigned, or assigned to a bot
        meta |= {"platform_control": "agent", "platform_assignee_type": target}
        said = f"Conversation assigned to {'an agent' if target == 'admin' else 'a team'}."
        return [note.session.turn(key, Role.SYSTEM, said, at=at, metadata=meta)]
    if kind not in SPOKEN_PARTS:
        return []
    role = _role(sub(part, "author"), f"{where}.author")
    out: list[Envelope] = []
    body = _body(part)
    if body is not None:
        out.append(note.session.turn(key, role, body, at=at, metadata=meta))
    if kind == "close":
        out.append(note.session.resolved(key, Role.BOT if role is Role.BOT else Role.AGENT, at=at))
    return out


def _role(author: Mapping[str, Any], where: str) -> Role:
    kind = text(author, "type")
    role = AUTHORS.get(kind or "")
    if role is None:
        raise BadInput(
            422,
            "unknown_shape",
            f"{where}.type is {kind!r}; expected one of {', '.join(sorted(AUTHORS))}",
        )
    return role


def _body(part: Mapping[str, Any]) -> str | None:
    html = text(part, "body")
    body = html_to_text(html) if html else ""
    if not body and (subject := text(part, "subject")):
        body = html_to_text(subject)
    if not body and items(part, "attachments"):
        body = "[attachment]"
    return body or None


def _source(item: Mapping[str, Any]) -> dict[str, Any]:
    """Return the first message; API 1.x called it ``conversation_message``."""
    return sub(item, "source") or sub(item, "conversation_message")


def _customer(item: Mapping[str, Any]) -> str | None:
    contacts = items(sub(item, "contacts"), "contacts")
    if contacts:
        return text(contacts[0], "external_id") or text(contacts[0], "id")
    user = sub(item, "user")
    return text(user, "user_id") or text(user, "id")
