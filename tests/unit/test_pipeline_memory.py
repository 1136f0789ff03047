"""The pipeline scenarios on the in-memory bus and store."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from shared.bus.memory import MemoryBus
from shared.state.memory import MemoryStateStore
from tests import scenarios
from tests.fakes import FakeCatalog, KeywordIntents, KeywordSentiment, fake_entities
from tests.harness import Models, Pipeline, Watcher

Scenario = Callable[[MemoryBus, Watcher], Awaitable[None]]
MODELS = Models(KeywordIntents(), FakeCatalog(), fake_entities, KeywordSentiment())


async def _running(only: tuple[str, ...]) -> AsyncIterator[tuple[MemoryBus, Watcher]]:
    bus = MemoryBus()
    prefix = f"t-{uuid.uuid4().hex[:6]}"
    pipeline = Pipeline(
        bus, MemoryStateStore(), MODELS, prefix, max_wait_seconds=2.5
    )  # room for a slow CI machine
    pipeline.build(only)
    await pipeline.start()
    watcher = Watcher(bus, f"{prefix}-watch")
    await watcher.start()
    yield bus, watcher
    await pipeline.stop()


@pytest.fixture
async def full() -> AsyncIterator[tuple[MemoryBus, Watcher]]:
    async for pair in _running(("intent", "sentiment", "escalation", "context")):
        yield pair


@pytest.fixture
async def context_only() -> AsyncIterator[tuple[MemoryBus, Watcher]]:
    async for pair in _running(("context",)):
        yield pair


@pytest.mark.parametrize("scenario", scenarios.FULL_PIPELINE, ids=lambda f: f.__name__)
async def test_full_pipeline(scenario: Scenario, full: tuple[MemoryBus, Watcher]) -> None:
    await scenario(*full)


@pytest.mark.parametrize("scenario", scenarios.CONTEXT_ONLY, ids=lambda f: f.__name__)
async def test_context_only(scenario: Scenario, context_only: tuple[MemoryBus, Watcher]) -> None:
    await scenario(*context_only)
