"""Redis adapter: one Lua script per write, pipelined, so a batch costs one round trip."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import redis.asyncio as aioredis

from shared.state.base import Snapshot, Write

# Set fields (first write wins when ARGV[2] == "1"), refresh the TTL, return the whole hash.
# Running this server-side makes write + read atomic, so a redelivered event changes nothing.
_APPLY = """
local only_new = ARGV[2] == '1'
local changed = 0
for i = 3, #ARGV, 2 do
  if only_new then
    changed = changed + redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1])
  else
    changed = changed + redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  end
end
redis.call('EXPIRE', KEYS[1], ARGV[1])
return {changed, redis.call('HGETALL', KEYS[1])}
"""

_CLAIM = """
local ok = redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return {ok, redis.call('HGET', KEYS[1], ARGV[1])}
"""


class RedisStateStore:
    """State on a real Redis server."""

    def __init__(self, client: aioredis.Redis) -> None:
        self._r = client
        self._apply = client.register_script(_APPLY)
        self._claim = client.register_script(_CLAIM)

    @classmethod
    def from_url(cls, url: str) -> RedisStateStore:
        return cls(aioredis.Redis.from_url(url, decode_responses=False, max_connections=32))

    async def apply(self, writes: Sequence[Write], *, ttl_seconds: int) -> list[Snapshot]:
        if not writes:
            return []
        pipe = self._r.pipeline(transaction=False)
        for w in writes:
            args: list[Any] = [ttl_seconds, "1" if w.only_new else "0"]
            for f, v in w.fields.items():
                args += [f, v]
            await self._apply(keys=[w.key], args=args, client=pipe)
        results = await pipe.execute()
        return [Snapshot(int(changed), _pairs(flat)) for changed, flat in results]

    async def read(self, key: str) -> dict[str, bytes]:
        return await self.hash_all(key)

    async def claim(
        self, key: str, field: str, value: bytes, *, ttl_seconds: int
    ) -> tuple[bool, bytes]:
        ok, held = await self._claim(keys=[key], args=[field, value, ttl_seconds])
        return bool(ok), bytes(held)

    async def put(self, key: str, mapping: Mapping[str, bytes], *, ttl_seconds: int) -> None:
        pipe = self._r.pipeline(transaction=True)
        pipe.hset(key, mapping=dict(mapping))  # type: ignore[arg-type]
        pipe.expire(key, ttl_seconds)
        await pipe.execute()

    async def schedule(self, queue: str, member: str, due_at: float) -> None:
        await self._r.zadd(queue, {member: due_at}, nx=True)

    async def due(self, queue: str, now: float, *, limit: int) -> list[str]:
        members = await self._r.zrangebyscore(queue, "-inf", now, start=0, num=limit)
        return [_text(m) for m in members if isinstance(m, bytes | str)]

    async def take(self, queue: str, member: str) -> bool:
        return bool(await self._r.zrem(queue, member))

    async def get(self, key: str) -> bytes | None:
        value = await self._r.get(key)
        return value if isinstance(value, bytes) else None

    async def set(self, key: str, value: bytes, *, ttl_seconds: int | None = None) -> None:
        await self._r.set(key, value, ex=ttl_seconds)

    async def hash_set(self, key: str, field: str, value: bytes, *, ttl_seconds: int) -> None:
        await self.put(key, {field: value}, ttl_seconds=ttl_seconds)

    async def hash_all(self, key: str) -> dict[str, bytes]:
        raw = await self._r.hgetall(key)
        return {_text(k): _bytes(v) for k, v in raw.items()}

    async def ping(self) -> bool:
        return bool(await self._r.ping())

    async def close(self) -> None:
        await self._r.aclose()


def _pairs(flat: Sequence[bytes]) -> dict[str, bytes]:
    return {flat[i].decode(): flat[i + 1] for i in range(0, len(flat), 2)}


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _bytes(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode()
