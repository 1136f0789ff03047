"""Amazon Connect: Contact Lens real-time records and contact events.

Contact Lens real-time analysis streams records (``EventType`` STARTED, SEGMENTS, COMPLETED,
FAILED) to Kinesis; each SEGMENTS record holds ``Utterance`` (a partial, low-latency piece of
a turn), ``Transcript`` (the finished turn, with its ``Sentiment`` and ``IssuesDetected``),
``Categories`` and ``PostContactSummary`` segments. Baton takes one turn per ``Transcript``,
never the Utterances (they repeat the Transcript), and keeps sentiment, the issue phrases and
the matched categories as ``platform_*`` metadata. Contact events come from EventBridge
(``detail-type`` "Amazon Connect Contact Event"), whole or as the bare ``detail``.

A contact starts when it is INITIATED or its analysis STARTED, and ends when DISCONNECTED or
its analysis COMPLETED: each pair shares one event id, so whichever arrives second is a
duplicate. CONNECTED_TO_AGENT is a system turn: the platform's own handoff.

Signature: Amazon Connect signs nothing that reaches an HTTP endpoint (Kinesis records need a
forwarder; EventBridge API destinations add a header you choose), so the request must carry
the tenant's shared token in ``X-Baton-Token`` (or ``?baton_token=``).
"""

from __future__ import annotations

from collections.abc import Mapping
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
from services.gateway.adapters.base import BadInput, token_matches
from shared.schemas.envelope import Envelope
from shared.schemas.events import Channel, JsonScalar, Role

PLATFORM = "Amazon Connect"
DETAIL_TYPE = "Amazon Connect Contact Event"

ROLES = {
    "CUSTOMER": Role.CUSTOMER,
    "AGENT": Role.AGENT,
    "SUPERVISOR": Role.AGENT,
    "SYSTEM": Role.SYSTEM,
    "CUSTOM_BOT": Role.BOT,
    "AUTOMATED": Role.BOT,
    "BOT": Role.BOT,
}
_CHANNELS = {
    "VOICE": Channel.VOICE,
    "CHAT": Channel.CHAT,
    "TASK": Channel.MESSAGING,
    "EMAIL": Channel.EMAIL,
}
LENS_EVENTS = frozenset({"STARTED", "SEGMENTS", "COMPLETED", "FAILED"})
CONTACT_EVENTS = frozenset({"INITIATED", "CONNECTED_TO_AGENT", "DISCONNECTED"})
# Known contact events that change nothing Baton tracks.
IGNORED_CONTACT_EVENTS = frozenset(
    {"CONNECTED_TO_SYSTEM", "QUEUED", "CONTACT_DATA_UPDATED", "COMPLETED"}
)


class ConnectAdapter:
    """Amazon Connect contact events and Contact Lens transcripts to Baton events."""

    name = "connect"

    def normalize(
        self, payload: Any, *, tenant_id: str, headers: Mapping[str, str]
    ) -> list[Envelope]:
        body = require_object(payload, PLATFORM)
        if "detail-type" in body:
            kind = text(body, "detail-type")
            if kind != DETAIL_TYPE:
                raise unsupported(PLATFORM, "EventBridge detail-type", kind, [DETAIL_TYPE])
            detail = body.get("detail")
            if not isinstance(detail, dict):
                raise BadInput(422, "unknown_shape", "the EventBridge event has no 'detail' object")
            return self._contact_event(detail, tenant_id, "detail", parse_time(body.get("time")))
        if "EventType" in body and "ContactId" in body:
            return self._contact_lens(body, tenant_id)
        if "eventType" in body and "contactId" in body:
            return self._contact_event(body, tenant_id, "body", None)
        raise BadInput(
            422,
            "unknown_shape",
            "expected a Contact Lens real-time record (EventType, ContactId, Segments), an "
            f"EventBridge '{DETAIL_TYPE}' or its detail (eventType, contactId)",
        )

    def verify(self, body: bytes, headers: Mapping[str, str], secret: str, *, url: str) -> bool:
        return token_matches(headers, secret, url=url)

    # --- Contact Lens ------------------------------------------------------------------------

    def _contact_lens(self, body: dict[str, Any], tenant_id: str) -> list[Envelope]:
        kind = required(body, "EventType", "record")
        session = Session(
            "connect",
            tenant_id,
            required(body, "ContactId", "record"),
            _channel(text(body, "Channel")),
        )
        language = text(body, "LanguageCode")
        match kind:
            case "STARTED":
                return [session.started(metadata={"platform_language": language})]
            case "COMPLETED":
                return [session.ended("ended", "completed")]
            case "FAILED":
                return []  # the analysis failed; the call itself goes on
            case "SEGMENTS":
                return self._segments(body, session, language)
        raise unsupported(PLATFORM, "Contact Lens EventType", kind, LENS_EVENTS)

    def _segments(
        self, body: dict[str, Any], session: Session, language: str | None
    ) -> list[Envelope]:
        if not isinstance(body.get("Segments"), list):
            raise BadInput(422, "unknown_shape", "a SEGMENTS record needs a 'Segments' array")
        segments = items(body, "Segments")
        categories = sorted(
            {c for s in segments for c in _strings(sub(s, "Categories").get("MatchedCategories"))}
        )
        out: list[Envelope] = []
        for i, segment in enumerate(segments):
            transcript = sub(segment, "Transcript")
            if transcript:
                out += self._transcript(transcript, session, language, categories, i)
        return out

    def _transcript(
        self,
        seg: dict[str, Any],
        session: Session,
        language: str | None,
        categories: list[str],
        index: int,
    ) -> list[Envelope]:
        where = f"Segments[{index}].Transcript"
        role_name = required(seg, "ParticipantRole", where)
        role = ROLES.get(role_name.upper())
        if role is None:
            raise BadInput(
                422,
                "unknown_shape",
                f"{where}.ParticipantRole is {role_name!r}; expected one of "
                f"{', '.join(sorted(ROLES))}",
            )
        content = text(seg, "Content")
        if content is None:
            return []
        issues = _issues(content, items(seg, "IssuesDetected"))
        sentiment = text(seg, "Sentiment")
        metadata: dict[str, JsonScalar] = {
            "platform_event": "SEGMENTS",
            "platform_participant": text(seg, "ParticipantId"),
            "platform_sentiment": sentiment.lower() if sentiment else None,
            "platform_issues": " | ".join(issues) if issues else None,
            "platform_issue_count": len(issues) if issues else None,
            "platform_categories": ",".join(categories) if categories else None,
            "platform_begin_offset_ms": _int(seg.get("BeginOffsetMillis")),
            "platform_end_offset_ms": _int(seg.get("EndOffsetMillis")),
        }
        # Transcript ids are unique per turn; the role keeps the documentation's placeholder
        # ids ("the ID of the transcript", shared by two turns) from merging two speakers.
        key = f"{required(seg, 'Id', where)}:{role_name.upper()}"
        turn = session.turn(
            key,
            role,
            content,
            at=parse_time(seg.get("AbsoluteTime")),
            language=language,
            metadata=metadata,
        )
        return [turn]

    # --- contact events ----------------------------------------------------------------------

    def _contact_event(
        self, detail: dict[str, Any], tenant_id: str, where: str, at: datetime | None
    ) -> list[Envelope]:
        kind = required(detail, "eventType", where)
        if kind in IGNORED_CONTACT_EVENTS:
            return []
        if kind not in CONTACT_EVENTS:
            raise unsupported(
                PLATFORM, "contact eventType", kind, CONTACT_EVENTS | IGNORED_CONTACT_EVENTS
            )
        session = Session(
            "connect",
            tenant_id,
            required(detail, "contactId", where),
            _channel(text(detail, "channel")),
        )
        agent = _either(detail, "agentInfo", "AgentInfo")
        queue = _either(detail, "queueInfo", "QueueInfo")
        if kind == "INITIATED":
            started = parse_time(detail.get("initiationTimestamp")) or at
            method = {"platform_initiation": text(detail, "initiationMethod")}
            return [session.started(at=started, metadata=method)]
        if kind == "DISCONNECTED":
            ended = parse_time(detail.get("disconnectTimestamp")) or at
            return [session.ended("ended", "disconnected", at=ended)]
        agent_arn = text(agent, "agentArn") or text(agent, "AgentArn")
        connected = parse_time(agent.get("connectedToAgentTimestamp")) or at
        metadata: dict[str, JsonScalar] = {
            "platform_event": kind,
            "platform_control": "agent",
            "platform_agent_arn": agent_arn,
            "platform_queue_arn": text(queue, "queueArn") or text(queue, "QueueArn"),
        }
        return [
            session.turn(
                f"connected_to_agent:{agent_arn or '-'}",
                Role.SYSTEM,
                "Contact connected to an agent.",
                at=connected,
                metadata=metadata,
            )
        ]


def _channel(value: str | None) -> Channel:
    return _CHANNELS.get((value or "").upper(), Channel.VOICE)


def _either(data: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    """Return the first nested object among spellings the docs use (agentInfo, AgentInfo)."""
    for key in keys:
        found = sub(data, key)
        if found:
            return found
    return {}


def _issues(content: str, detected: list[dict[str, Any]]) -> list[str]:
    """Return the phrases Contact Lens flagged as the customer's issue."""
    phrases: list[str] = []
    for issue in detected:
        offsets = sub(issue, "CharacterOffsets")
        begin, end = _int(offsets.get("BeginOffsetChar")), _int(offsets.get("EndOffsetChar"))
        if begin is None or end is None or not 0 <= begin < end:
            continue
        phrase = content[begin:end].strip()
        if phrase:
            phrases.append(phrase)
    return phrases


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    return value if isinstance(value, int) else None
