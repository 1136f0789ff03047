"""In-memory bus with Kafka's semantics that matter here: partitions by key, groups, commits."""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Awaitable, Mapping, Sequence

from shared.bus.base import Message, Record


class MemoryBroker:
    """Topics as lists per partition, and committed offsets per consumer group."""

    def __init__(self, *, partitions: int = 3) -> None:
        self.partitions = partitions
        self.topics: dict[str, list[list[Record]]] = {}
        self.committed: dict[tuple[str, str, int], int] = {}
        self._changed = asyncio.Event()

    def ensure(self, name: str, partitions: int | None = None) -> None:
        if name not in self.topics:
            self.topics[name] = [[] for _ in range(partitions or self.partitions)]

    def append(self, message: Message) -> None:
        self.ensure(message.topic)
        parts = self.topics[message.topic]
        p = zlib.crc32(message.key) % len(parts)
        parts[p].append(
            Record(message.topic, p, len(parts[p]), message.key, message.value, 0, message.headers)
        )
        self._changed.set()

    def records(self, topic: str) -> list[Record]:
        """Every record of a topic, partition by partition (for assertions)."""
        return [r for part in self.topics.get(topic, []) for r in part]

    async def wait_for_change(self, timeout: float) -> None:
        self._changed.clear()
        try:
            await asyncio.wait_for(self._changed.wait(), timeout)
        except TimeoutError:
            return


async def _done() -> None:
    return None


class MemoryPublisher:
    def __init__(self, broker: MemoryBroker) -> None:
        self._broker = broker

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def publish(self, messages: Sequence[Message]) -> None:
        for m in messages:
            self._broker.append(m)

    async def send(self, messages: Sequence[Message]) -> Awaitable[None]:
        await self.publish(messages)
        return _done()


class MemorySubscription:
    """A single group member that owns every partition of its topics."""

    def __init__(self, broker: MemoryBroker, topics: Sequence[str], group: str) -> None:
        self._broker = broker
        self._topics = list(topics)
        self._group = group
        self._position: dict[tuple[str, int], int] = {}

    async def start(self) -> None:
        for t in self._topics:
            self._broker.ensure(t)
        await self.rewind()

    async def stop(self) -> None:
        return None

    async def poll(self, *, max_records: int, timeout_ms: int) -> list[Record]:
        out = self._take(max_records)
        if not out and timeout_ms:
            await self._broker.wait_for_change(timeout_ms / 1000)
            out = self._take(max_records)
        return out

    def _take(self, max_records: int) -> list[Record]:
        out: list[Record] = []
        for t in self._topics:
            for p, part in enumerate(self._broker.topics[t]):
                pos = self._position[(t, p)]
                chunk = part[pos : pos + max_records - len(out)]
                out.extend(chunk)
                self._position[(t, p)] = pos + len(chunk)
        return out

    async def commit(self, offsets: Mapping[tuple[str, int], int] | None = None) -> None:
        for (t, p), pos in (self._position if offsets is None else offsets).items():
            self._broker.committed[(self._group, t, p)] = pos

    async def rewind(self) -> None:
        for t in self._topics:
            for p in range(len(self._broker.topics[t])):
                self._position[(t, p)] = self._broker.committed.get((self._group, t, p), 0)


class MemoryBus:
    """The in-memory twin of ``KafkaBus``."""

    def __init__(self, broker: MemoryBroker | None = None) -> None:
        self.broker = broker or MemoryBroker()

    def publisher(self, *, client_id: str) -> MemoryPublisher:
        return MemoryPublisher(self.broker)

    def subscription(
        self, topics: Sequence[str], *, group: str, client_id: str
    ) -> MemorySubscription:
        return MemorySubscription(self.broker, topics, group)

    async def ensure_topics(self, names: Sequence[str], *, partitions: int) -> None:
        for n in names:
            self.broker.ensure(n, partitions)
