"""In-memory state store with the Redis adapter's semantics, for unit tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from shared.state.base import QueueMove, Snapshot, Write


class MemoryStateStore:
    """Dicts in place of Redis; TTLs are accepted and ignored."""

    def __init__(self) -> None:
        self.hashes: dict[str, dict[str, bytes]] = {}
        self.queues: dict[str, dict[str, float]] = {}
        self.values: dict[str, bytes] = {}

    async def apply(self, writes: Sequence[Write], *, ttl_seconds: int) -> list[Snapshot]:
        out = []
        for w in writes:
            h = self.hashes.setdefault(w.key, {})
            changed = 0
            for f, v in w.fields.items():
                if w.only_new and f in h:
                    continue
                changed += int(f not in h)
                h[f] = v
            wanted = w.want_all is None or all(f in h for f in w.want_all)
            out.append(Snapshot(changed, dict(h) if wanted else {}))
        return out

    async def read(self, key: str) -> dict[str, bytes]:
        return dict(self.hashes.get(key, {}))

    async def read_many(self, keys: Sequence[str]) -> list[dict[str, bytes]]:
        return [dict(self.hashes.get(k, {})) for k in keys]

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
        h = self.hashes.setdefault(key, {})
        if field in h:
            return False, h[field]
        h[field] = value
        if clear is not None:
            h.pop(clear, None)
        if then is not None:
            self.queues.setdefault(then.schedule, {}).setdefault(then.member, then.due_at)
            self.queues.get(then.unschedule, {}).pop(then.member, None)
        return True, value

    async def put(self, key: str, mapping: Mapping[str, bytes], *, ttl_seconds: int) -> None:
        self.hashes.setdefault(key, {}).update(mapping)

    async def schedule(self, queue: str, member: str, due_at: float) -> None:
        self.queues.setdefault(queue, {}).setdefault(member, due_at)

    async def due(self, queue: str, now: float, *, limit: int) -> list[str]:
        q = self.queues.get(queue, {})
        return sorted((m for m, t in q.items() if t <= now), key=q.__getitem__)[:limit]

    async def take(self, queue: str, member: str) -> bool:
        return self.queues.get(queue, {}).pop(member, None) is not None

    async def get(self, key: str) -> bytes | None:
        return self.values.get(key)

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        return [self.values.get(k) for k in keys]

    async def set(self, key: str, value: bytes, *, ttl_seconds: int | None = None) -> None:
        self.values[key] = value

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        return None
