"""The state-store contract on a real Redis server, plus TTL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

import pytest
import redis.asyncio as aioredis

from shared.state.base import StateStore, Write
from shared.state.redis import RedisStateStore, drop_keys
from tests.conftest import Infra
from tests.contract_state import CONTRACT

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("check", CONTRACT, ids=lambda f: f.__name__)
async def test_redis_store(check: Callable[[StateStore], Awaitable[None]], infra: Infra) -> None:
    store = RedisStateStore.from_url(infra.redis_url)
    try:
        await check(store)
    finally:
        await store.close()


async def test_session_state_expires_after_ttl(infra: Infra) -> None:
    store = RedisStateStore.from_url(infra.redis_url)
    raw = aioredis.Redis.from_url(infra.redis_url)
    key = f"test:ttl:{uuid.uuid4().hex}"
    try:
        await store.apply([Write(key, {"t:1": b"x"})], ttl_seconds=120)
        ttl = await raw.ttl(key)
        assert 0 < ttl <= 120
        await store.apply([Write(key, {"t:2": b"y"})], ttl_seconds=1)
        assert await raw.ttl(key) <= 1
    finally:
        await raw.aclose()
        await store.close()


async def test_a_burst_wider_than_the_pool_waits_instead_of_failing(infra: Infra) -> None:
    store = RedisStateStore.from_url(infra.redis_url, max_connections=4)
    try:
        keys = [f"test:burst:{uuid.uuid4().hex}" for _ in range(200)]
        results = await asyncio.gather(*(store.get(k) for k in keys))
        assert results == [None] * 200
    finally:
        await store.close()


async def test_drop_keys_deletes_one_run_s_keys_and_nothing_else(infra: Infra) -> None:
    run, other = f"bench{uuid.uuid4().hex[:6]}", f"bench{uuid.uuid4().hex[:6]}"
    client = aioredis.Redis.from_url(infra.redis_url)
    try:
        for i in range(1200):  # more than one scan/unlink chunk
            await client.set(f"baton:{{{run}:s{i}}}:ctx", b"x")
        await client.set(f"baton:history:{run}:B-1", b"x")
        await client.set(f"baton:{{{other}:s1}}:ctx", b"x")
        assert await drop_keys(infra.redis_url, f"*{run}*") == 1201
        assert [k async for k in client.scan_iter(match=f"*{run}*")] == []
        assert await client.exists(f"baton:{{{other}:s1}}:ctx") == 1
        with pytest.raises(ValueError, match="run-specific"):
            await drop_keys(infra.redis_url, "**")
    finally:
        await client.delete(f"baton:{{{other}:s1}}:ctx")
        await client.aclose()
