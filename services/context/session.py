"""The context service's Redis view of a session: what is written, and what it reads back."""

from __future__ import annotations

from collections.abc import Mapping

from shared.schemas.envelope import Envelope
from shared.schemas.events import (
    ConversationTurn,
    EscalationDecided,
    IntentDetected,
    SentimentScored,
    SessionEnded,
    SessionResolved,
    SessionStarted,
)
from shared.state.base import Write, session_key
from shared.stateful import dumps, loads

NAMESPACE = "ctx"


def key_of(event: Envelope) -> str:
    return session_key(event.tenant_id, event.session_id, NAMESPACE)


OPEN = "open"
_WHEN_OPEN = (OPEN,)


def write_for(event: Envelope) -> Write | None:
    """Map an event to the fields it sets; first write wins, so redelivery changes nothing.

    The session comes back only while a handoff is open (a transfer decision without a
    packet yet) or when the session closes: the moments this service has work to do.
    """
    key = key_of(event)
    match event:
        case ConversationTurn():
            fields = {f"t:{event.seq}": event.wire_json()}
            fields.update(_consent(event.metadata))
            if event.customer_id:
                fields["customer_id"] = event.customer_id.encode()
            fields["channel"] = event.channel.value.encode()
            return Write(key, fields, want_all=_WHEN_OPEN)
        case IntentDetected():
            return Write(key, {f"i:{event.seq}": event.wire_json()}, want_all=_WHEN_OPEN)
        case SentimentScored():
            return Write(key, {f"s:{event.seq}": event.wire_json()}, want_all=_WHEN_OPEN)
        case EscalationDecided() if event.escalates and event.update:
            # A later trigger in an episode already handed off: kept, and announced as an
            # update of the open handoff rather than a second packet.
            return Write(key, {f"r:{event.episode}:{event.seq}": event.wire_json()})
        case EscalationDecided() if event.escalates:
            # The first transfer decision of an episode opens the handoff; later ones are kept
            # too, so the packet can list every reason known when it is built.
            return Write(
                key,
                {
                    f"d:{event.episode}": event.wire_json(),
                    f"r:{event.episode}:{event.seq}": event.wire_json(),
                    OPEN: str(event.episode).encode(),
                },
                want_all=_WHEN_OPEN,
            )
        case SessionStarted():
            fields = {
                "channel": event.channel.value.encode(),
                "started_at": dumps(event.occurred_at),
            }
            if event.customer_id:
                fields["customer_id"] = event.customer_id.encode()
            fields.update(_consent(event.metadata))
            return Write(key, fields, want_all=_WHEN_OPEN)
        case SessionResolved():
            return Write(
                key,
                {
                    "outcome": dumps(
                        {"outcome": "resolved", "by": event.resolved_by, "at": event.occurred_at}
                    )
                },
            )
        case SessionEnded():
            return Write(
                key, {"outcome": dumps({"outcome": event.reason, "at": event.occurred_at})}
            )
    return None


CONSENT = "pii_consent"


def _consent(metadata: Mapping[str, object]) -> dict[str, bytes]:
    """The customer's consent to show their details to the agent, when the platform says."""
    value = metadata.get(CONSENT)
    return {} if value is None else {CONSENT: b"1" if value is True or value == "true" else b"0"}


def open_episodes(fields: dict[str, bytes]) -> list[int]:
    """Episodes with a transfer decision and no packet claimed yet."""
    return sorted(int(f[2:]) for f in fields if f.startswith("d:") and f"h:{f[2:]}" not in fields)


def missing_for(fields: dict[str, bytes], upto: int) -> list[str]:
    """Name every turn or analysis up to ``upto`` that has not arrived."""
    missing: list[str] = []
    for seq in range(1, upto + 1):
        raw = fields.get(f"t:{seq}")
        if raw is None:
            missing.append(f"turn:{seq}")
            continue
        if loads(raw)["role"] != "customer":
            continue
        if f"i:{seq}" not in fields:
            missing.append(f"intent:{seq}")
        if f"s:{seq}" not in fields:
            missing.append(f"sentiment:{seq}")
    return missing
