"""Read recorded conversations (JSONL) and turn them into Baton conversation events."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.schemas.envelope import Envelope, derived_id, utcnow
from shared.schemas.events import Channel, ConversationTurn, Role, SessionStarted

SAMPLES = Path(__file__).parent / "samples"


class RecordedTurn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: Role
    text: str


class RecordedConversation(BaseModel):
    """One line of a conversations file; unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore")

    id: str
    channel: Channel = Channel.CHAT
    tenant_id: str = "demo"
    customer: dict[str, Any] = Field(default_factory=dict)
    turns: list[RecordedTurn]

    @property
    def customer_id(self) -> str | None:
        cid = self.customer.get("id") or self.customer.get("customer_id")
        return str(cid) if cid else None


def read_conversations(path: Path) -> Iterator[RecordedConversation]:
    """Yield each conversation of a JSONL file, saying which line is wrong if one is."""
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield RecordedConversation.model_validate_json(line)
            except ValueError as exc:
                raise ValueError(f"{path}:{n}: {exc}") from exc


def to_events(
    conv: RecordedConversation, *, session_id: str | None = None, gap_ms: int = 0
) -> list[Envelope]:
    """Turn a recorded conversation into a session start and its numbered turns."""
    sid = session_id or conv.id
    start = utcnow()
    events: list[Envelope] = [
        SessionStarted(
            event_id=derived_id(conv.tenant_id, sid, "started"),
            tenant_id=conv.tenant_id,
            session_id=sid,
            channel=conv.channel,
            customer_id=conv.customer_id,
            occurred_at=start,
        )
    ]
    for seq, turn in enumerate(conv.turns, 1):
        events.append(
            ConversationTurn(
                event_id=derived_id(conv.tenant_id, sid, seq, "turn"),
                tenant_id=conv.tenant_id,
                session_id=sid,
                seq=seq,
                role=turn.role,
                text=turn.text,
                channel=conv.channel,
                customer_id=conv.customer_id,
                occurred_at=start + timedelta(milliseconds=gap_ms * seq),
            )
        )
    return events
