"""Escalation service wiring: Redis state, then the stream loop."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence

from services.escalation.handlers import Deps, handle
from services.escalation.rules import Limits
from services.escalation.settings import EscalationSettings
from shared.bus.base import Message
from shared.bus.codec import to_message
from shared.metrics import DECISIONS, TURN_LATENCY
from shared.observability import ReadinessCheck
from shared.runtime import StreamApp
from shared.schemas.envelope import Envelope, utcnow
from shared.schemas.events import EscalationDecided
from shared.schemas.topics import CONVERSATION_EVENTS, INTENTS, SENTIMENTS, topic_for
from shared.state.base import StateStore
from shared.state.redis import RedisStateStore


def build_app(deps: Deps) -> StreamApp:
    async def on_batch(events: Sequence[Envelope]) -> list[Message]:
        decisions = await handle(events, deps)
        now = utcnow()
        for d in decisions:
            if isinstance(d, EscalationDecided):
                for code in [r.code for r in d.reasons] or ["none"]:
                    DECISIONS.labels(d.action.value, code).inc()
                if d.trace.origin_at is not None:
                    TURN_LATENCY.labels("escalation", "decision").observe(
                        (now - d.trace.origin_at).total_seconds()
                    )
        return [to_message(topic_for(d), d) for d in decisions]

    return StreamApp(
        name="escalation",
        consumes=(CONVERSATION_EVENTS, INTENTS, SENTIMENTS),
        handle=on_batch,
        dead_letters_for=frozenset({INTENTS.name, SENTIMENTS.name}),
    )


def deps_for(settings: EscalationSettings, store: StateStore) -> Deps:
    return Deps(
        store=store,
        ttl_seconds=settings.session_ttl_seconds,
        limits=Limits(
            misunderstood_turns=settings.misunderstood_turns, negative_turns=settings.negative_turns
        ),
    )


@contextlib.asynccontextmanager
async def bootstrap(
    settings: EscalationSettings,
) -> AsyncIterator[tuple[StreamApp, dict[str, ReadinessCheck]]]:
    store = RedisStateStore.from_url(settings.redis_url)

    async def redis_ready() -> tuple[bool, str]:
        return await store.ping(), "redis"

    try:
        yield build_app(deps_for(settings, store)), {"redis": redis_ready}
    finally:
        await store.close()
