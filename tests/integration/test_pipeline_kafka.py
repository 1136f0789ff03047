"""The pipeline scenarios on a real Kafka broker and a real Redis server."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from services.nlu import catalog, entities, intent_model, sentiment_model
from shared.bus.kafka import KafkaBus, drop_topics
from shared.schemas.topics import ALL_TOPICS
from shared.state.redis import RedisStateStore
from tests import scenarios
from tests.conftest import Infra
from tests.harness import Models, Pipeline, Watcher

pytestmark = pytest.mark.integration

Scenario = Callable[[KafkaBus, Watcher], Awaitable[None]]


@pytest.fixture(scope="module")
def models() -> Models:
    return Models(
        intent_model.load_default(),
        catalog.load_catalog(),
        entities.extract_entities,
        sentiment_model.load_default(),
    )


async def _running(
    infra: Infra, models: Models, only: tuple[str, ...]
) -> AsyncIterator[tuple[KafkaBus, Watcher]]:
    prefix = f"t{uuid.uuid4().hex[:8]}."
    bus = KafkaBus(infra.kafka, topic_prefix=prefix)
    await bus.ensure_topics([t.name for t in ALL_TOPICS], partitions=3)
    store = RedisStateStore.from_url(infra.redis_url)
    pipeline = Pipeline(
        bus, store, models, prefix, max_wait_seconds=3.0
    )  # room for a slow CI machine
    pipeline.build(only)
    await pipeline.start()
    watcher = Watcher(bus, f"{prefix}watch")
    await watcher.start()
    try:
        yield bus, watcher
    finally:
        await watcher.stop()
        await pipeline.stop()
        await store.close()
        await drop_topics(infra.kafka, prefix)


@pytest.fixture(scope="module")
async def full(infra: Infra, models: Models) -> AsyncIterator[tuple[KafkaBus, Watcher]]:
    async for pair in _running(infra, models, ("intent", "sentiment", "escalation", "context")):
        yield pair


@pytest.fixture(scope="module")
async def context_only(infra: Infra, models: Models) -> AsyncIterator[tuple[KafkaBus, Watcher]]:
    async for pair in _running(infra, models, ("context",)):
        yield pair


@pytest.mark.parametrize("scenario", scenarios.FULL_PIPELINE, ids=lambda f: f.__name__)
async def test_full_pipeline(scenario: Scenario, full: tuple[KafkaBus, Watcher]) -> None:
    await scenario(*full)


@pytest.mark.parametrize("scenario", scenarios.CONTEXT_ONLY, ids=lambda f: f.__name__)
async def test_context_only(scenario: Scenario, context_only: tuple[KafkaBus, Watcher]) -> None:
    await scenario(*context_only)


async def test_dropping_a_run_s_topics_leaves_everything_else(infra: Infra) -> None:
    from aiokafka.admin import AIOKafkaAdminClient

    mine, other = f"t{uuid.uuid4().hex[:8]}.", f"t{uuid.uuid4().hex[:8]}."
    await KafkaBus(infra.kafka, topic_prefix=mine).ensure_topics(["a", "b"], partitions=1)
    await KafkaBus(infra.kafka, topic_prefix=other).ensure_topics(["a"], partitions=1)
    assert await drop_topics(infra.kafka, mine) == 2
    with pytest.raises(ValueError, match="prefix"):
        await drop_topics(infra.kafka, "")
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka)
    await admin.start()
    try:
        left = set(await admin.list_topics())
    finally:
        await admin.close()
    assert not {t for t in left if t.startswith(mine)}
    assert f"{other}a" in left
    await drop_topics(infra.kafka, other)
