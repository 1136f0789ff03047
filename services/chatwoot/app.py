"""Chatwoot connector wiring: Redis markers and one HTTP client, then the stream loop."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence

import httpx

from services.chatwoot.client import ChatwootClient, RetryPolicy
from services.chatwoot.events import CONNECTOR_EVENTS
from services.chatwoot.handlers import Deps, handle
from services.chatwoot.ledger import Ledger
from services.chatwoot.mapping import Desks
from services.chatwoot.settings import ChatwootSettings
from shared.bus.base import Message
from shared.bus.codec import to_message
from shared.logging import get_logger
from shared.observability import ReadinessCheck
from shared.runtime import StreamApp
from shared.schemas.envelope import Envelope
from shared.schemas.topics import HANDOFF_EVENTS, HANDOFF_PACKETS
from shared.state.base import StateStore
from shared.state.redis import RedisStateStore

log = get_logger("baton.chatwoot")


def build_app(deps: Deps) -> StreamApp:
    async def on_batch(events: Sequence[Envelope]) -> list[Message]:
        return [to_message(CONNECTOR_EVENTS, e) for e in await handle(events, deps)]

    return StreamApp(
        name="chatwoot",
        consumes=(HANDOFF_PACKETS, HANDOFF_EVENTS),
        handle=on_batch,
        dead_letters_for=frozenset({HANDOFF_PACKETS.name}),
    )


def deps_for(settings: ChatwootSettings, store: StateStore, http: httpx.AsyncClient) -> Deps:
    retry = RetryPolicy(
        attempts=settings.chatwoot_retry_attempts,
        base_seconds=settings.chatwoot_retry_base_seconds,
        max_seconds=settings.chatwoot_retry_max_seconds,
    )
    return Deps(
        client=ChatwootClient(http, retry=retry, service=settings.service_name),
        desks=Desks.from_settings(settings),
        ledger=Ledger(
            store,
            ttl_seconds=settings.session_ttl_seconds,
            lease_seconds=settings.chatwoot_lease_seconds,
        ),
        service=settings.service_name,
        concurrency=settings.chatwoot_concurrency,
        note_max_chars=settings.chatwoot_note_max_chars,
    )


def http_client(settings: ChatwootSettings) -> httpx.AsyncClient:
    """Return the one HTTP client the connector uses for every tenant's Chatwoot."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(
            settings.chatwoot_timeout_seconds, connect=settings.chatwoot_connect_timeout_seconds
        ),
        limits=httpx.Limits(max_connections=settings.chatwoot_concurrency * 2),
        headers={"Accept": "application/json", "User-Agent": "baton-chatwoot-connector"},
    )


@contextlib.asynccontextmanager
async def bootstrap(
    settings: ChatwootSettings,
) -> AsyncIterator[tuple[StreamApp, dict[str, ReadinessCheck]]]:
    store = RedisStateStore.from_url(settings.redis_url)
    http = http_client(settings)
    if settings.chatwoot_api_token is None and not settings.chatwoot_tenants:
        log.warning("chatwoot_unconfigured", detail="no api token: every step will fail")

    async def redis_ready() -> tuple[bool, str]:
        return await store.ping(), "redis"

    try:
        yield build_app(deps_for(settings, store, http)), {"redis": redis_ready}
    finally:
        await http.aclose()
        await store.close()
