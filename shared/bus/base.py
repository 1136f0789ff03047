"""The bus interface the services are written against."""

from __future__ import annotations

from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(slots=True)  # made per message: a frozen one's __init__ costs five times as much
class Record:
    """One consumed message, with where it came from (for the dead-letter topic)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    timestamp_ms: int
    headers: tuple[tuple[str, bytes], ...] = ()


@dataclass(slots=True)  # made per message: a frozen one's __init__ costs five times as much
class Message:
    """One message to publish."""

    topic: str
    key: bytes
    value: bytes
    # Kafka headers: facts a consumer can act on without decoding the value.
    headers: tuple[tuple[str, bytes], ...] = ()


class Publisher(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, messages: Sequence[Message]) -> None:
        """Send and wait until every message is acknowledged by the broker."""

    async def send(self, messages: Sequence[Message]) -> Awaitable[None]:
        """Queue messages in order; the result completes when every one is acknowledged.

        Lets a consumer handle its next batch while the broker acknowledges this one.
        """


class Subscription(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def poll(self, *, max_records: int, timeout_ms: int) -> list[Record]:
        """Return the next records of the assigned partitions, possibly none."""

    async def commit(self, offsets: Mapping[tuple[str, int], int] | None = None) -> None:
        """Commit the next offset to read per (topic, partition); None: everything polled."""

    async def rewind(self) -> None:
        """Go back to the last committed positions, so an unfinished batch is read again."""


class Bus(Protocol):
    """A factory for publishers and subscriptions on one broker."""

    def publisher(self, *, client_id: str) -> Publisher: ...

    def subscription(
        self, topics: Sequence[str], *, group: str, client_id: str
    ) -> Subscription: ...

    async def ensure_topics(self, names: Sequence[str], *, partitions: int) -> None: ...
