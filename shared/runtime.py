"""The one consume -> handle -> publish -> commit loop every stream service runs.

Offsets are committed only after the handler's effects are stored and every message it
returned is acknowledged by Kafka, so delivery is at-least-once and the handlers make
redelivery harmless. Records that fail validation go to ``baton.dlq`` with the reason.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiokafka.errors import KafkaError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from shared.bus.base import Bus, Message, Publisher, Record
from shared.bus.codec import TopicDecoder, dead_letter
from shared.logging import get_logger
from shared.metrics import (
    BATCH_SECONDS,
    DEAD_LETTERS,
    EVENTS_CONSUMED,
    EVENTS_PUBLISHED,
    LAST_POLL,
    RETRIES,
)
from shared.schemas.envelope import Envelope
from shared.schemas.topics import DLQ, Topic

DLQ_NAME = DLQ.name

log = get_logger("baton.runtime")

BatchHandler = Callable[[Sequence[Envelope]], Awaitable[list[Message]]]
AfterPublish = Callable[[Sequence[Message]], Awaitable[None]]
Background = Callable[[Publisher, asyncio.Event], Coroutine[Any, Any, None]]

# Errors that mean "the broker or store is unreachable": retry the batch, never dead-letter it.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    KafkaError,
    RedisConnectionError,
    RedisTimeoutError,
    ConnectionError,
    TimeoutError,
    OSError,
)


@dataclass
class StreamApp:
    """What a service is: its name, the topics it reads, and its batch handler."""

    name: str
    consumes: Sequence[Topic]
    handle: BatchHandler
    after_publish: AfterPublish | None = None
    background: Sequence[Background] = field(default_factory=tuple)
    # Topics whose rejects this app dead-letters. Several services read the input topic;
    # only one of them reports each bad record, so the DLQ holds it once.
    dead_letters_for: frozenset[str] | None = None


@dataclass
class RunnerStats:
    batches: int = 0
    consumed: int = 0
    published: int = 0
    dead_letters: int = 0
    last_poll: float = 0.0
    # Where the loop's time goes (seconds, cumulative): work, waiting for acks, committing.
    handle_s: float = 0.0
    publish_s: float = 0.0
    commit_s: float = 0.0


class StreamRunner:
    """Run a ``StreamApp`` against a bus until ``stop`` is set."""

    def __init__(
        self,
        app: StreamApp,
        bus: Bus,
        *,
        group_prefix: str = "baton",
        max_records: int = 1000,
        timeout_ms: int = 20,
    ) -> None:
        self.app = app
        self._bus = bus
        self._group = f"{group_prefix}.{app.name}"
        self._max_records = max_records
        self._timeout_ms = timeout_ms
        self._decoder = TopicDecoder(app.consumes)
        self.stats = RunnerStats()
        self.ready = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        publisher = self._bus.publisher(client_id=f"baton-{self.app.name}")
        subscription = self._bus.subscription(
            [t.name for t in self.app.consumes],
            group=self._group,
            client_id=f"baton-{self.app.name}",
        )
        await publisher.start()
        await subscription.start()
        tasks = [asyncio.create_task(bg(publisher, stop)) for bg in self.app.background]
        self.ready.set()
        log.info("service_started", group=self._group, topics=[t.name for t in self.app.consumes])
        backoff = 0.1
        try:
            while not stop.is_set():
                records = await subscription.poll(
                    max_records=self._max_records, timeout_ms=self._timeout_ms
                )
                self.stats.last_poll = time.time()
                LAST_POLL.labels(self.app.name).set(self.stats.last_poll)
                if not records:
                    continue
                try:
                    await self._process(records, publisher)
                    committing = time.perf_counter()
                    await subscription.commit()
                    self.stats.commit_s += time.perf_counter() - committing
                    backoff = 0.1
                except TRANSIENT_ERRORS as exc:
                    RETRIES.labels(self.app.name).inc()
                    log.warning(
                        "batch_retry", error=repr(exc), records=len(records), backoff=backoff
                    )
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 5.0)
                    await subscription.rewind()
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await subscription.stop()
            await publisher.stop()
            log.info("service_stopped", **self.stats.__dict__)

    async def _process(self, records: Sequence[Record], publisher: Publisher) -> None:
        started = time.perf_counter()
        good, bad = self._decoder.split(records)
        owned = self.app.dead_letters_for
        bad = [(r, why) for r, why in bad if owned is None or r.topic in owned]
        out = [
            dead_letter(r, reason="invalid_event", error=why, service=self.app.name)
            for r, why in bad
        ]
        for r, why in bad:
            log.warning(
                "dead_letter", topic=r.topic, partition=r.partition, offset=r.offset, reason=why
            )
        events = [d.event for d in good]
        try:
            out += await self.app.handle(events)
        except TRANSIENT_ERRORS:
            raise
        except Exception:
            # One bad event must not stop the partition: retry one by one, dead-letter culprits.
            log.exception("batch_failed_isolating", events=len(events))
            for d in good:
                try:
                    out += await self.app.handle([d.event])
                except TRANSIENT_ERRORS:
                    raise
                except Exception as exc:
                    log.exception(
                        "event_failed", session_id=d.event.session_id, event_id=d.event.event_id
                    )
                    out.append(
                        dead_letter(
                            d.record,
                            reason="processing_failed",
                            error=repr(exc),
                            service=self.app.name,
                        )
                    )
        publishing = time.perf_counter()
        self.stats.handle_s += publishing - started
        await publisher.publish(out)
        self.stats.publish_s += time.perf_counter() - publishing
        if self.app.after_publish is not None:
            await self.app.after_publish(out)
        self._count(records, out, started)

    def _count(self, records: Sequence[Record], out: Sequence[Message], started: float) -> None:
        name = self.app.name
        self.stats.batches += 1
        self.stats.consumed += len(records)
        self.stats.published += len(out)
        for topic, n in Counter(r.topic for r in records).items():
            EVENTS_CONSUMED.labels(name, topic).inc(n)
        for topic, n in Counter(m.topic for m in out).items():
            EVENTS_PUBLISHED.labels(name, topic).inc(n)
            if topic == DLQ_NAME:
                self.stats.dead_letters += n
                DEAD_LETTERS.labels(name, "rejected").inc(n)
        BATCH_SECONDS.labels(name).observe(time.perf_counter() - started)
