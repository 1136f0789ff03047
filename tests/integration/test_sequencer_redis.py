"""The sequencer contract on a real Redis server, plus its key and TTL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import redis.asyncio as aioredis

from services.gateway.adapters.sequencing import RedisSequencer, Sequencer
from tests.conftest import Infra
from tests.unit.adapters.sequencer_contract import CONTRACT

pytestmark = pytest.mark.integration


@pytest.fixture
async def client(infra: Infra) -> AsyncIterator[aioredis.Redis]:
    redis = aioredis.Redis.from_url(infra.redis_url)
    try:
        yield redis
    finally:
        await redis.aclose()


@pytest.mark.parametrize("check", CONTRACT, ids=lambda f: f.__name__)
async def test_redis_sequencer(
    check: Callable[[Sequencer], Awaitable[None]], client: aioredis.Redis
) -> None:
    await check(RedisSequencer(client, ttl_seconds=120))


async def test_one_hash_per_session_with_a_refreshed_ttl(client: aioredis.Redis) -> None:
    session = f"seq-{uuid.uuid4().hex[:10]}"
    key = f"baton:{{acme:{session}}}:seq"
    seqr = RedisSequencer(client, ttl_seconds=120)
    try:
        assert await seqr.next_seq("acme", session, "msg-1") == 1
        assert await seqr.next_seq("acme", session, "msg-2") == 2
        assert await client.hgetall(key) == {b"#n": b"2", b"msg-1": b"1", b"msg-2": b"2"}
        assert 0 < await client.ttl(key) <= 120
        await RedisSequencer(client, ttl_seconds=5).last_seq("acme", session, "msg-2")
        assert await client.ttl(key) <= 5
    finally:
        await client.delete(key)
