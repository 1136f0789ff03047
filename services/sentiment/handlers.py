"""Sentiment handlers: score customer turns in batches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from services.nlu.sentiment_model import SentimentResult
from shared.routing import Handler
from shared.schemas.envelope import Envelope, derived_id
from shared.schemas.events import ConversationTurn, Role, SentimentLabel, SentimentScored


class Scorer(Protocol):
    version: str

    def score_batch(self, texts: Sequence[str]) -> list[SentimentResult]: ...


@dataclass
class Deps:
    model: Scorer


async def score_turns(turns: Sequence[ConversationTurn], deps: Deps) -> list[Envelope]:
    """Score every customer turn."""
    customer = [t for t in turns if t.role is Role.CUSTOMER]
    results = deps.model.score_batch([t.text for t in customer])
    return [
        SentimentScored(
            event_id=derived_id(turn.tenant_id, turn.session_id, turn.seq, "sentiment"),
            tenant_id=turn.tenant_id,
            session_id=turn.session_id,
            seq=turn.seq,
            turn_event_id=turn.event_id,
            score=max(-1.0, min(1.0, r.score)),
            label=SentimentLabel(r.label),
            frustration=r.frustration,
            urgency=r.urgency,
            cues=list(r.cues),
            model=deps.model.version,
            trace=turn.child_trace(),
        )
        for turn, r in zip(customer, results, strict=True)
    ]


HANDLERS: dict[type[Envelope], Handler[Deps]] = {ConversationTurn: score_turns}
