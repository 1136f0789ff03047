"""Read untrusted webhook JSON, and build Baton events from it with deterministic ids."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from services.gateway.handlers import BadInput
from shared.schemas.envelope import derived_id, utcnow
from shared.schemas.events import (
    Channel,
    ConversationTurn,
    JsonScalar,
    Role,
    SessionEnded,
    SessionHandedBack,
    SessionResolved,
    SessionStarted,
)

# ConversationTurn needs seq >= 1; the real number is assigned by sequencing.sequence().
UNSEQUENCED = 1
TEXT_LIMIT = 20_000


def require_object(payload: Any, platform: str) -> dict[str, Any]:
    """Return the payload if it is a JSON object, else say what arrived instead."""
    if isinstance(payload, dict):
        return payload
    raise BadInput(
        422,
        "unknown_shape",
        f"expected a JSON object from {platform}, got {_kind(payload)}",
    )


def sub(data: Mapping[str, Any], key: str) -> dict[str, Any]:
    """Return a nested object, or an empty one when it is absent or not an object."""
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def items(data: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    """Return the objects of a nested array, skipping anything that is not an object."""
    value = data.get(key)
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, dict)]


def text(data: Mapping[str, Any], key: str) -> str | None:
    """Return a string or number field as text, or None when absent or blank."""
    value = data.get(key)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str | int | float):
        return str(value).strip() or None
    return None


def required(data: Mapping[str, Any], key: str, where: str) -> str:
    """Return an id field that must be present, or refuse the payload naming the field."""
    value = text(data, key)
    if value is None:
        raise BadInput(422, "missing_field", f"{where}.{key} is missing or empty")
    return value


def parse_time(value: Any) -> datetime | None:
    """Read ISO-8601 strings, ``2020-03-03 13:05:57 UTC`` and unix seconds or milliseconds."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 1e11 else value
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str) or not value.strip():
        return None
    raw = value.strip()
    if raw.endswith(" UTC"):
        raw = raw[:-4] + "+00:00"
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def unsupported(platform: str, kind: str, value: str | None, handled: Iterable[str]) -> BadInput:
    """Build the refusal for an event type Baton does not read."""
    return BadInput(
        422,
        "unsupported_event",
        f"{platform} {kind} {value!r} is not one Baton reads; "
        f"it reads {', '.join(sorted(handled))}",
    )


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a JSON array"
    if value is None:
        return "null"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return type(value).__name__


@dataclass(frozen=True, slots=True)
class Session:
    """One platform conversation as Baton sees it; builds its events with stable ids.

    Baton's session id is ``"{platform}:{native id}"``: two platforms of one tenant never
    share a session, and a connector can tell whose conversation a session is.
    """

    platform: str
    tenant_id: str
    native_id: str
    channel: Channel = Channel.CHAT
    customer_id: str | None = None

    @property
    def session_id(self) -> str:
        """Return Baton's session id for this conversation."""
        return f"{self.platform}:{self.native_id}"

    def event_id(self, kind: str, key: str) -> str:
        """Return the id an event of this kind and platform key always gets."""
        return derived_id(self.tenant_id, self.platform, self.session_id, kind, key)

    def turn(
        self,
        key: str,
        role: Role,
        body: str,
        *,
        at: datetime | None = None,
        language: str | None = None,
        metadata: Mapping[str, JsonScalar] | None = None,
    ) -> ConversationTurn:
        """Build a turn keyed by the platform's message id; ``seq`` is a placeholder."""
        meta: dict[str, JsonScalar] = {"platform": self.platform, "platform_message_id": key}
        meta.update({k: v for k, v in (metadata or {}).items() if v is not None})
        return ConversationTurn(
            event_id=self.event_id("turn", key),
            tenant_id=self.tenant_id,
            session_id=self.session_id,
            seq=UNSEQUENCED,
            role=role,
            text=body[:TEXT_LIMIT],
            channel=self.channel,
            customer_id=self.customer_id if role is Role.CUSTOMER else None,
            language=language,
            occurred_at=at or utcnow(),
            metadata=meta,
        )

    def started(
        self, *, at: datetime | None = None, metadata: Mapping[str, JsonScalar] | None = None
    ) -> SessionStarted:
        """Build the session start; one id per session, whichever platform event reports it."""
        meta: dict[str, JsonScalar] = {"platform": self.platform}
        meta.update({k: v for k, v in (metadata or {}).items() if v is not None})
        return SessionStarted(
            event_id=self.event_id("started", "-"),
            tenant_id=self.tenant_id,
            session_id=self.session_id,
            channel=self.channel,
            customer_id=self.customer_id,
            occurred_at=at or utcnow(),
            metadata=meta,
        )

    def ended(self, key: str, reason: str, *, at: datetime | None = None) -> SessionEnded:
        """Build a session end keyed by what ended it."""
        return SessionEnded(
            event_id=self.event_id("ended", key),
            tenant_id=self.tenant_id,
            session_id=self.session_id,
            reason=reason,
            occurred_at=at or utcnow(),
        )

    def resolved(self, key: str, by: Role, *, at: datetime | None = None) -> SessionResolved:
        """Build a resolution keyed by the platform event that reported it."""
        return SessionResolved(
            event_id=self.event_id("resolved", key),
            tenant_id=self.tenant_id,
            session_id=self.session_id,
            resolved_by=by,
            occurred_at=at or utcnow(),
        )

    def handed_back(
        self,
        key: str,
        note: str,
        *,
        agent_id: str | None = None,
        at: datetime | None = None,
    ) -> SessionHandedBack:
        """Build a hand-back to the bot keyed by the platform event that reported it."""
        return SessionHandedBack(
            event_id=self.event_id("handed_back", key),
            tenant_id=self.tenant_id,
            session_id=self.session_id,
            agent_id=agent_id,
            note=note,
            occurred_at=at or utcnow(),
        )
