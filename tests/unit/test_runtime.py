"""The stream runner's promises: commit only what the broker acknowledged, redo what it did not."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Sequence

from aiokafka.errors import KafkaConnectionError
from redis.exceptions import ConnectionError as RedisConnectionError

from shared.bus.base import Message, Record
from shared.bus.codec import encode, to_message
from shared.bus.memory import MemoryBroker, MemoryBus, MemoryPublisher, MemorySubscription
from shared.runtime import IDLE_POLL_MS, StreamApp, StreamRunner, every
from shared.schemas.envelope import Envelope
from shared.schemas.events import ConversationTurn, Role
from shared.schemas.topics import CONVERSATION_EVENTS, DECISIONS, DLQ

GROUP = "t.echo"


class GatedPublisher(MemoryPublisher):
    """Appends at once, but each batch's acknowledgement is a future the test settles."""

    def __init__(self, broker: MemoryBroker, acks: list[asyncio.Future[None]]) -> None:
        super().__init__(broker)
        self._acks = acks

    async def send(self, messages: Sequence[Message]) -> Awaitable[None]:
        await self.publish(messages)
        ack: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._acks.append(ack)
        return ack


class GatedBus(MemoryBus):
    def __init__(self) -> None:
        super().__init__(MemoryBroker(partitions=1))
        self.acks: list[asyncio.Future[None]] = []

    def publisher(self, *, client_id: str) -> GatedPublisher:
        return GatedPublisher(self.broker, self.acks)


def echo_app(seen: list[int]) -> StreamApp:
    async def handle(events: Sequence[Envelope]) -> list[Message]:
        seen.extend(e.seq for e in events)
        return [to_message(DECISIONS, e) for e in events]

    return StreamApp(name="echo", consumes=(CONVERSATION_EVENTS,), handle=handle)


def send_turns(bus: MemoryBus, seqs: range) -> None:
    for seq in seqs:
        turn = ConversationTurn(
            tenant_id="t", session_id="s", seq=seq, role=Role.CUSTOMER, text="x"
        )
        bus.broker.append(Message(CONVERSATION_EVENTS.name, turn.key, encode(turn)))


def committed(bus: MemoryBus) -> int | None:
    return bus.broker.committed.get((GROUP, CONVERSATION_EVENTS.name, 0))


async def wait_until(condition: object, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not callable(condition) or not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.005)


async def test_offsets_wait_for_the_acknowledgement() -> None:
    bus, seen, stop = GatedBus(), list[int](), asyncio.Event()
    runner = StreamRunner(echo_app(seen), bus, group_prefix="t", timeout_ms=5, max_records=3)
    send_turns(bus, range(1, 6))
    task = asyncio.create_task(runner.run(stop))
    # Two batches: the second is handled while the first is still unacknowledged.
    await wait_until(lambda: len(bus.acks) == 2)
    assert seen == [1, 2, 3, 4, 5]
    await asyncio.sleep(0.05)
    assert committed(bus) is None, "nothing may be committed before the broker acknowledges"
    bus.acks[0].set_result(None)
    await asyncio.sleep(0.05)
    assert committed(bus) in (None, 3), "the second batch is not acknowledged yet"
    bus.acks[1].set_result(None)
    await wait_until(lambda: committed(bus) == 5)
    stop.set()
    await task
    assert len(bus.broker.records(DECISIONS.name)) == 5


async def test_a_failed_acknowledgement_redelivers_the_batch() -> None:
    bus, seen, stop = GatedBus(), list[int](), asyncio.Event()
    runner = StreamRunner(echo_app(seen), bus, group_prefix="t", timeout_ms=5)
    task = asyncio.create_task(runner.run(stop))
    send_turns(bus, range(1, 3))
    await wait_until(lambda: len(bus.acks) == 1)
    bus.acks[0].set_exception(KafkaConnectionError("broker went away"))
    await wait_until(lambda: len(bus.acks) == 2)  # read again after the back-off
    assert seen == [1, 2, 1, 2]
    assert committed(bus) is None
    bus.acks[1].set_result(None)
    await wait_until(lambda: committed(bus) == 2)
    stop.set()
    await task


async def test_stopping_settles_and_commits_what_is_in_flight() -> None:
    bus, seen, stop = GatedBus(), list[int](), asyncio.Event()
    runner = StreamRunner(echo_app(seen), bus, group_prefix="t", timeout_ms=5)
    task = asyncio.create_task(runner.run(stop))
    send_turns(bus, range(1, 3))
    await wait_until(lambda: len(bus.acks) == 1)
    stop.set()
    await asyncio.sleep(0.02)
    assert not task.done(), "the runner waits for the acknowledgement before it stops"
    bus.acks[0].set_result(None)
    await task
    assert committed(bus) == 2


async def test_a_store_outage_retries_the_batch_and_loses_nothing() -> None:
    from redis.exceptions import ConnectionError as RedisConnectionError

    bus, seen, stop = GatedBus(), list[int](), asyncio.Event()
    failures = [RedisConnectionError("redis went away")]

    async def flaky(events: Sequence[Envelope]) -> list[Message]:
        if failures:
            raise failures.pop()
        seen.extend(e.seq for e in events)
        return []

    app = StreamApp(name="echo", consumes=(CONVERSATION_EVENTS,), handle=flaky)
    runner = StreamRunner(app, bus, group_prefix="t", timeout_ms=5)
    send_turns(bus, range(1, 4))
    task = asyncio.create_task(runner.run(stop))
    await wait_until(lambda: seen == [1, 2, 3])
    assert not bus.broker.records(DLQ.name), "an outage is retried, never dead-lettered"
    bus.acks[0].set_result(None)
    await wait_until(lambda: committed(bus) == 3)
    stop.set()
    await task


async def test_a_periodic_task_outlives_outages_and_bugs_and_backs_off_while_down() -> None:
    stop = asyncio.Event()
    started = asyncio.get_running_loop().time()
    calls: list[float] = []
    script: list[BaseException | None] = [
        RedisConnectionError("refused"),
        RedisConnectionError("refused"),
        RedisConnectionError("refused"),
        ValueError("a bug"),
        None,
        None,
    ]

    async def task() -> None:
        calls.append(asyncio.get_running_loop().time() - started)
        error = script.pop(0) if script else None
        if not script:
            stop.set()
        if error is not None:
            raise error

    await asyncio.wait_for(every(0.01, task, stop, name="t", max_backoff=0.5), 5)
    assert len(calls) == 6
    gaps = [b - a for a, b in itertools.pairwise(calls)]
    # While down, waits double from 0.2 s (0.1 floor x 2): 0.2, 0.4, then capped at 0.5.
    assert gaps[0] >= 0.19 and gaps[1] >= 0.39 and gaps[2] >= 0.49
    # A bug is not an outage: the normal interval again, and the loop goes on.
    assert gaps[3] < 0.45  # not the 0.5 s back-off


async def test_skipped_records_are_committed_but_never_decoded_or_handled() -> None:
    bus, seen, stop = MemoryBus(MemoryBroker(partitions=1)), list[int](), asyncio.Event()
    app = echo_app(seen)
    app.skip = lambda r: dict(r.headers).get("skip") == b"1"
    for seq in range(1, 5):
        turn = ConversationTurn(
            tenant_id="t", session_id="s", seq=seq, role=Role.CUSTOMER, text="x"
        )
        headers = (("skip", b"1"),) if seq % 2 else ()
        bus.broker.append(Message(CONVERSATION_EVENTS.name, turn.key, encode(turn), headers))
    # Not even valid JSON: decoding it would dead-letter it.
    bus.broker.append(Message(CONVERSATION_EVENTS.name, b"s", b"{not json", (("skip", b"1"),)))
    task = asyncio.create_task(StreamRunner(app, bus, group_prefix="t", timeout_ms=5).run(stop))
    await wait_until(lambda: committed(bus) == 5)
    stop.set()
    await task
    assert seen == [2, 4]
    assert bus.broker.records(DLQ.name) == []


class TimedSubscription(MemorySubscription):
    """Notes the timeout of every poll."""

    def __init__(self, broker: MemoryBroker, topics: Sequence[str], group: str) -> None:
        super().__init__(broker, topics, group)
        self.timeouts: list[int] = []

    async def poll(self, *, max_records: int, timeout_ms: int) -> list[Record]:
        self.timeouts.append(timeout_ms)
        return await super().poll(max_records=max_records, timeout_ms=timeout_ms)


async def test_an_idle_runner_polls_with_the_long_wait_once_everything_is_committed() -> None:
    bus, seen, stop = MemoryBus(MemoryBroker(partitions=1)), list[int](), asyncio.Event()
    polls: list[TimedSubscription] = []

    def subscription(topics: Sequence[str], *, group: str, client_id: str) -> TimedSubscription:
        polls.append(TimedSubscription(bus.broker, topics, group))
        return polls[-1]

    bus.subscription = subscription  # type: ignore[method-assign]
    runner = StreamRunner(echo_app(seen), bus, group_prefix="t", timeout_ms=5)
    send_turns(bus, range(1, 3))
    task = asyncio.create_task(runner.run(stop))
    await wait_until(lambda: committed(bus) == 2)
    await wait_until(lambda: polls[0].timeouts[-1] == IDLE_POLL_MS)
    stop.set()
    await task
    timeouts = polls[0].timeouts
    # Waiting with output to commit, the short wait; committed and idle, the long one.
    assert 5 in timeouts
    assert IDLE_POLL_MS in timeouts[timeouts.index(5) + 1 :]
