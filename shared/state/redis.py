"""Redis adapter: one Lua script per write, pipelined, so a batch costs one round trip."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgpack
import redis.asyncio as aioredis
from redis.exceptions import NoScriptError

from shared.state.base import QueueMove, Snapshot, Write

# Apply a batch of writes in one call: for each key, set its fields (first write wins when
# only_new is 1), refresh the TTL, and return the whole hash if every field named in its want
# list is present (always = 1: return it regardless). One script call per batch keeps the
# client's per-command cost out of the hot path, and running server-side makes each write
# atomic. The writes travel as one MessagePack argument, not thousands of arguments: encoding
# each argument separately was a quarter of a busy service's CPU.
# ARGV: ttl, msgpack([[only_new, always, [want...], [field, value, field, value...]], ...])
_APPLY = """
local ttl = ARGV[1]
local ops = cmsgpack.unpack(ARGV[2])
local out = {}
for k = 1, #KEYS do
  local key = KEYS[k]
  local op = ops[k]
  local fields = op[4]
  local changed = 0
  if op[1] == 1 then
    for i = 1, #fields, 2 do
      changed = changed + redis.call('HSETNX', key, fields[i], fields[i + 1])
    end
  elseif #fields > 0 then
    changed = redis.call('HSET', key, unpack(fields))
  end
  redis.call('EXPIRE', key, ttl)
  local wanted = true
  if op[2] ~= 1 then
    local want = op[3]
    for i = 1, #want do
      if redis.call('HEXISTS', key, want[i]) == 0 then
        wanted = false
        break
      end
    end
  end
  if wanted then
    out[k] = {changed, redis.call('HGETALL', key)}
  else
    out[k] = {changed, {}}
  end
end
return out
"""

# Writes per script call: bounds how long one call holds Redis's single thread.
CHUNK = 256

# KEYS: the hash, then (with a queue move) the queue to add to and the one to remove from.
# ARGV: field, value, ttl, field to clear or '', then member and due time for a queue move.
_CLAIM = """
local ok = redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
if ok == 1 then
  if ARGV[4] ~= '' then
    redis.call('HDEL', KEYS[1], ARGV[4])
  end
  if #KEYS == 3 then
    redis.call('ZADD', KEYS[2], 'NX', ARGV[6], ARGV[5])
    redis.call('ZREM', KEYS[3], ARGV[5])
  end
end
redis.call('EXPIRE', KEYS[1], ARGV[3])
return {ok, redis.call('HGET', KEYS[1], ARGV[1])}
"""


class RedisStateStore:
    """State on a real Redis server."""

    def __init__(self, client: aioredis.Redis) -> None:
        self._r = client
        self._apply_sha: str | None = None
        self._claim = client.register_script(_CLAIM)

    @classmethod
    def from_url(cls, url: str, *, max_connections: int = 32) -> RedisStateStore:
        # A blocking pool makes a burst of concurrent calls wait for a free connection; the
        # default pool raises MaxConnectionsError instead, which would fail the whole batch.
        pool = aioredis.BlockingConnectionPool.from_url(
            url, max_connections=max_connections, timeout=10
        )
        return cls(aioredis.Redis.from_pool(pool))  # the client owns (and closes) the pool

    async def apply(self, writes: Sequence[Write], *, ttl_seconds: int) -> list[Snapshot]:
        if not writes:
            return []
        if self._apply_sha is None:
            self._apply_sha = await self._r.script_load(_APPLY)
        pipe = self._r.pipeline(transaction=False)
        for start in range(0, len(writes), CHUNK):
            chunk = writes[start : start + CHUNK]
            ops = [
                (
                    int(w.only_new),
                    int(w.want_all is None),
                    w.want_all or (),
                    [x for pair in w.fields.items() for x in pair],
                )
                for w in chunk
            ]
            keys = [w.key for w in chunk]
            pipe.evalsha(self._apply_sha, len(chunk), *keys, ttl_seconds, _pack(ops))
        try:
            replies = await pipe.execute()
        except NoScriptError:
            self._apply_sha = None  # Redis restarted and lost its script cache: load and redo
            return await self.apply(writes, ttl_seconds=ttl_seconds)
        results = [r for reply in replies for r in reply]
        return [Snapshot(int(changed), _pairs(flat)) for changed, flat in results]

    async def read(self, key: str) -> dict[str, bytes]:
        return _hash(await self._r.hgetall(key))

    async def read_many(self, keys: Sequence[str]) -> list[dict[str, bytes]]:
        if not keys:
            return []
        pipe = self._r.pipeline(transaction=False)
        for key in keys:
            pipe.hgetall(key)
        return [_hash(raw) for raw in await pipe.execute()]

    async def claim(
        self,
        key: str,
        field: str,
        value: bytes,
        *,
        ttl_seconds: int,
        clear: str | None = None,
        then: QueueMove | None = None,
    ) -> tuple[bool, bytes]:
        keys = [key]
        args: list[Any] = [field, value, ttl_seconds, clear or ""]
        if then is not None:
            keys += [then.schedule, then.unschedule]
            args += [then.member, repr(then.due_at)]
        ok, held = await self._claim(keys=keys, args=args)
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

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        if not keys:
            return []
        values = await self._r.mget(list(keys))
        return [v if isinstance(v, bytes) else None for v in values]

    async def set(self, key: str, value: bytes, *, ttl_seconds: int | None = None) -> None:
        await self._r.set(key, value, ex=ttl_seconds)

    async def ping(self) -> bool:
        return bool(await self._r.ping())

    async def close(self) -> None:
        await self._r.aclose()


def _pack(ops: list[Any]) -> bytes:
    # Redis's bundled cmsgpack predates the bin and str8 types: use the old raw encoding.
    packed: bytes = msgpack.packb(ops, use_bin_type=False)
    return packed


def _hash(raw: Mapping[Any, Any]) -> dict[str, bytes]:
    return {_text(k): _bytes(v) for k, v in raw.items()}


def _pairs(flat: Sequence[bytes]) -> dict[str, bytes]:
    return {flat[i].decode(): flat[i + 1] for i in range(0, len(flat), 2)}


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _bytes(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode()


async def drop_keys(url: str, pattern: str, *, chunk: int = 500) -> int:
    """Delete every key matching ``pattern`` (which must name a run, never everything).

    For benchmark runs: their sessions would otherwise sit in Redis until their TTL and
    expire during later runs, costing those runs Redis CPU they did not cause.
    """
    if pattern.strip("*") == "":
        raise ValueError("refusing to delete keys without a run-specific pattern")
    client = aioredis.Redis.from_url(url)
    deleted = 0
    try:
        batch: list[bytes] = []
        async for key in client.scan_iter(match=pattern, count=chunk):
            batch.append(key)
            if len(batch) >= chunk:
                deleted += await client.unlink(*batch)
                batch = []
        if batch:
            deleted += await client.unlink(*batch)
        return deleted
    finally:
        await client.aclose()
