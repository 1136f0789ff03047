"""Context service wiring: Redis state, CRM adapters, the sweeper, then the stream loop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence

import httpx

from services.context.handlers import Deps, after_publish, handle, sweeper
from services.context.settings import ContextSettings
from shared.bus.base import Message, Publisher, Record
from shared.bus.codec import to_message
from shared.customers.crm import (
    CustomerDirectory,
    HttpCustomerDirectory,
    LayeredDirectory,
    StoredCustomerDirectory,
    read_export,
)
from shared.customers.history import SessionHistory
from shared.observability import ReadinessCheck
from shared.policy.store import PolicyStore
from shared.runtime import StreamApp
from shared.schemas.envelope import Envelope
from shared.schemas.events import Action
from shared.schemas.topics import (
    ACTION_HEADER,
    CONVERSATION_EVENTS,
    DECISIONS,
    INTENTS,
    SENTIMENTS,
    topic_for,
)
from shared.state.base import StateStore
from shared.state.redis import RedisStateStore


def build_app(deps: Deps) -> StreamApp:
    async def on_batch(events: Sequence[Envelope]) -> list[Message]:
        return [to_message(topic_for(p), p) for p in await handle(events, deps)]

    async def published(messages: Sequence[Message]) -> None:
        await after_publish(messages, deps)

    async def sweep(publisher: Publisher, stop: asyncio.Event) -> None:
        await sweeper(publisher, stop, deps)

    return StreamApp(
        name="context",
        consumes=(CONVERSATION_EVENTS, INTENTS, SENTIMENTS, DECISIONS),
        handle=on_batch,
        after_publish=published,
        background=(sweep,),
        dead_letters_for=frozenset({DECISIONS.name}),
        skip=not_a_handoff,
    )


def not_a_handoff(record: Record) -> bool:
    """A decision that says it does not transfer: nothing here to store or build.

    A decision without the header (from an older escalation service) is decoded as before.
    """
    if record.topic != DECISIONS.name:
        return False
    action = dict(record.headers).get(ACTION_HEADER)
    return action is not None and action != _TRANSFER


_TRANSFER = Action.TRANSFER.value.encode()


def deps_for(settings: ContextSettings, store: StateStore, directory: CustomerDirectory) -> Deps:
    return Deps(
        store=store,
        directory=directory,
        history=SessionHistory(store),
        policies=PolicyStore(settings.policy_dir),
        ttl_seconds=settings.session_ttl_seconds,
        max_wait_seconds=settings.packet_max_wait_seconds,
        pending_queue=f"baton:{settings.topic_prefix}context:pending",
        outbox_queue=f"baton:{settings.topic_prefix}context:outbox",
    )


@contextlib.asynccontextmanager
async def bootstrap(
    settings: ContextSettings,
) -> AsyncIterator[tuple[StreamApp, dict[str, ReadinessCheck]]]:
    store = RedisStateStore.from_url(settings.redis_url)
    stored = StoredCustomerDirectory(store)
    if settings.crm_export is not None:
        await stored.load(settings.crm_tenant, read_export(settings.crm_export))
    directories: list[CustomerDirectory] = [stored]
    client: httpx.AsyncClient | None = None
    if settings.crm_url:
        headers = {"Authorization": f"Bearer {settings.crm_token}"} if settings.crm_token else {}
        client = httpx.AsyncClient(
            base_url=settings.crm_url, timeout=settings.crm_timeout_seconds, headers=headers
        )
        directories.append(HttpCustomerDirectory(client))

    async def redis_ready() -> tuple[bool, str]:
        return await store.ping(), "redis"

    try:
        yield (
            build_app(deps_for(settings, store, LayeredDirectory(*directories))),
            {"redis": redis_ready},
        )
    finally:
        if client is not None:
            await client.aclose()
        await store.close()
