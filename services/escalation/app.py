"""Escalation service wiring: Redis state, policies (reloaded while running), the stream loop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence

from services.escalation.handlers import Deps, handle
from services.escalation.settings import EscalationSettings
from shared.bus.base import Message, Publisher
from shared.bus.codec import to_message
from shared.customers.crm import StoredCustomerDirectory
from shared.customers.history import SessionHistory
from shared.metrics import DECISIONS, TURN_LATENCY
from shared.observability import ReadinessCheck
from shared.policy.store import PolicyChange, PolicyStore
from shared.runtime import StreamApp, every
from shared.schemas.envelope import Envelope, utcnow
from shared.schemas.events import EscalationDecided, PolicyChanged
from shared.schemas.topics import AUDIT, CONVERSATION_EVENTS, INTENTS, SENTIMENTS, topic_for
from shared.state.base import StateStore
from shared.state.redis import RedisStateStore


def audit_event(change: PolicyChange) -> PolicyChanged:
    return PolicyChanged(
        tenant_id=change.tenant,
        session_id="policy",
        new_version=change.new_version,
        old_version=change.old_version,
        new_hash=change.new_hash,
        old_hash=change.old_hash,
        changed_by=change.changed_by,
        diff=change.diff,
        occurred_at=change.at,
    )


def build_app(deps: Deps, *, refresh_seconds: float = 2.0) -> StreamApp:
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

    async def reload_policies(publisher: Publisher, stop: asyncio.Event) -> None:
        async def reload() -> None:
            changes = deps.policies.refresh()
            if changes:
                await publisher.publish([to_message(AUDIT, audit_event(c)) for c in changes])

        await every(refresh_seconds, reload, stop, name="policy_refresh", wait_first=True)

    return StreamApp(
        name="escalation",
        consumes=(CONVERSATION_EVENTS, INTENTS, SENTIMENTS),
        handle=on_batch,
        dead_letters_for=frozenset({INTENTS.name, SENTIMENTS.name}),
        background=(reload_policies,),
    )


def deps_for(settings: EscalationSettings, store: StateStore) -> Deps:
    return Deps(
        store=store,
        ttl_seconds=settings.session_ttl_seconds,
        policies=PolicyStore(settings.policy_dir),
        directory=StoredCustomerDirectory(store),
        history=SessionHistory(store),
    )


@contextlib.asynccontextmanager
async def bootstrap(
    settings: EscalationSettings,
) -> AsyncIterator[tuple[StreamApp, dict[str, ReadinessCheck]]]:
    store = RedisStateStore.from_url(settings.redis_url)

    async def redis_ready() -> tuple[bool, str]:
        return await store.ping(), "redis"

    try:
        yield (
            build_app(deps_for(settings, store), refresh_seconds=settings.policy_refresh_seconds),
            {"redis": redis_ready},
        )
    finally:
        await store.close()
