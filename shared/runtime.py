"""The one consume -> handle -> publish -> commit loop every stream service runs.

Offsets are committed only after the handler's effects are stored and every message it
returned is acknowledged by Kafka, so delivery is at-least-once and the handlers make
redelivery harmless. Records that fail validation go to ``baton.dlq`` with the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter, deque
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
    TASK_RETRIES,
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


async def every(
    seconds: float,
    task: Callable[[], Awaitable[object]],
    stop: asyncio.Event,
    *,
    name: str,
    wait_first: bool = False,
    max_backoff: float = 5.0,
) -> None:
    """Run ``task`` every ``seconds`` until ``stop`` is set; no error ends the loop.

    Redis or Kafka being unreachable is expected during a restart: it is one warning per
    attempt, without a traceback, and the waits double up to ``max_backoff`` until it is
    back. Anything else is a bug, logged with its traceback as ``<name>_failed``.
    """
    delay = seconds
    if wait_first:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)
    while not stop.is_set():
        try:
            await task()
            delay = seconds
        except TRANSIENT_ERRORS as exc:
            delay = min(max(delay, 0.1) * 2, max(max_backoff, seconds))
            TASK_RETRIES.labels(name).inc()
            log.warning(f"{name}_retry", error=repr(exc), backoff=delay)
        except Exception:
            delay = seconds
            log.exception(f"{name}_failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)


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
    # Records the app has no use for, known from topic and headers: neither decoded nor
    # handled, but committed with the rest.
    skip: Callable[[Record], bool] | None = None


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


@dataclass
class _Flight:
    """A handled batch whose output the broker has not acknowledged yet."""

    acked: asyncio.Future[None]
    offsets: dict[tuple[str, int], int]
    records: Sequence[Record]
    out: list[Message]
    started: float


# How long a poll with nothing to settle or commit waits for records (see ``run``).
IDLE_POLL_MS = 250


class StreamRunner:
    """Run a ``StreamApp`` against a bus until ``stop`` is set.

    Batches are pipelined: while the broker acknowledges one batch's output, the next is
    already being handled. Offsets are committed only up to batches whose output is
    acknowledged, at most every ``commit_interval`` seconds (and once a poll finds nothing
    to do): a crash re-delivers at most that much, which idempotent handlers shrug off,
    and the broker is spared a commit request per batch.
    """

    def __init__(
        self,
        app: StreamApp,
        bus: Bus,
        *,
        group_prefix: str = "baton",
        max_records: int = 1000,
        timeout_ms: int = 20,
        max_in_flight: int = 4,
        commit_interval: float = 0.25,
    ) -> None:
        self.app = app
        self._bus = bus
        self._group = f"{group_prefix}.{app.name}"
        self._max_records = max_records
        self._timeout_ms = timeout_ms
        self._idle_ms = max(timeout_ms, IDLE_POLL_MS)
        self._max_in_flight = max_in_flight
        self._commit_interval = commit_interval
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
        flights: deque[_Flight] = deque()
        done: dict[tuple[str, int], int] = {}  # acknowledged, not yet committed
        last_commit = time.monotonic()
        backoff = 0.1
        try:
            while not stop.is_set():
                try:
                    waited = not flights
                    # Nothing in flight and nothing to commit: wait longer, since records
                    # end the wait as soon as they arrive. Each empty poll wakes the process.
                    timeout_ms = (self._timeout_ms if done else self._idle_ms) if waited else 0
                    records = await subscription.poll(
                        max_records=self._max_records, timeout_ms=timeout_ms
                    )
                    self.stats.last_poll = time.time()
                    LAST_POLL.labels(self.app.name).set(self.stats.last_poll)
                    if records:
                        flights.append(await self._process(records, publisher))
                    # Settle in order: what is acknowledged, and the oldest when the window
                    # is full or nothing new came in.
                    while flights and (
                        flights[0].acked.done() or len(flights) > self._max_in_flight or not records
                    ):
                        done.update(await self._settle(flights.popleft()))
                    # Idle: a full poll timeout passed with nothing to read or to settle.
                    idle = waited and not records
                    due = time.monotonic() - last_commit >= self._commit_interval
                    if done and (idle or due):
                        committing = time.perf_counter()
                        await subscription.commit(done)
                        self.stats.commit_s += time.perf_counter() - committing
                        done = {}
                        last_commit = time.monotonic()
                    backoff = 0.1
                except TRANSIENT_ERRORS as exc:
                    RETRIES.labels(self.app.name).inc()
                    log.warning(
                        "batch_retry",
                        error=repr(exc),
                        records=sum(len(f.records) for f in flights),
                        backoff=backoff,
                    )
                    _abandon(flights)
                    done = {}
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 5.0)
                    await subscription.rewind()
            while flights:
                done.update(await self._settle(flights.popleft()))
            if done:
                await subscription.commit(done)
        finally:
            _abandon(flights)
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await subscription.stop()
            await publisher.stop()
            log.info("service_stopped", **self.stats.__dict__)

    async def _process(self, records: Sequence[Record], publisher: Publisher) -> _Flight:
        started = time.perf_counter()
        skip = self.app.skip
        good, bad = self._decoder.split(
            records if skip is None else [r for r in records if not skip(r)]
        )
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
        sending = time.perf_counter()
        self.stats.handle_s += sending - started
        acked = asyncio.ensure_future(await publisher.send(out))
        offsets: dict[tuple[str, int], int] = {}
        for r in records:
            offsets[(r.topic, r.partition)] = r.offset + 1
        return _Flight(acked, offsets, records, out, started)

    async def _settle(self, flight: _Flight) -> dict[tuple[str, int], int]:
        """Wait for a batch's acknowledgements; then its offsets may be committed."""
        waiting = time.perf_counter()
        await flight.acked
        self.stats.publish_s += time.perf_counter() - waiting
        if self.app.after_publish is not None:
            await self.app.after_publish(flight.out)
        self._count(flight.records, flight.out, flight.started)
        return flight.offsets

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


def _abandon(flights: deque[_Flight]) -> None:
    """Drop unsettled batches (they will be read again); keep their errors out of the log."""
    for f in flights:
        f.acked.add_done_callback(_swallow)
    flights.clear()


def _swallow(future: asyncio.Future[None]) -> None:
    if not future.cancelled():
        future.exception()
