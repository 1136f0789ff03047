"""Intent handlers: classify customer turns in batches (one model call per batch)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from services.nlu.intent_model import IntentPrediction
from shared.routing import Handler
from shared.schemas.envelope import Envelope, derived_id
from shared.schemas.events import ConversationTurn, Entity, IntentDetected, IntentScore, Role


class Classifier(Protocol):
    version: str

    def predict_batch(self, texts: Sequence[str]) -> list[IntentPrediction]: ...


class Catalog(Protocol):
    def tier(self, intent: str) -> str: ...

    def topic(self, intent: str) -> str | None: ...


class EntityExtractor(Protocol):
    def __call__(self, text: str) -> list[Entity]: ...


@dataclass
class Deps:
    model: Classifier
    catalog: Catalog
    extract: EntityExtractor


async def detect_intents(turns: Sequence[ConversationTurn], deps: Deps) -> list[Envelope]:
    """Classify every customer turn; other roles are not the customer's intent."""
    customer = [t for t in turns if t.role is Role.CUSTOMER]
    predictions = deps.model.predict_batch([t.text for t in customer])
    out: list[Envelope] = []
    for turn, p in zip(customer, predictions, strict=True):
        out.append(
            IntentDetected(
                event_id=derived_id(turn.tenant_id, turn.session_id, turn.seq, "intent"),
                tenant_id=turn.tenant_id,
                session_id=turn.session_id,
                seq=turn.seq,
                turn_event_id=turn.event_id,
                intent=p.intent if p.in_scope else "oos",
                confidence=p.confidence,
                in_scope=p.in_scope,
                tier=deps.catalog.tier(p.intent if p.in_scope else "oos"),
                topic=deps.catalog.topic(p.intent) if p.in_scope else None,
                alternatives=[IntentScore(intent=i, confidence=c) for i, c in p.alternatives],
                entities=deps.extract(turn.text),
                model=deps.model.version,
                trace=turn.child_trace(),
            )
        )
    return out


HANDLERS: dict[type[Envelope], Handler[Deps]] = {ConversationTurn: detect_intents}
