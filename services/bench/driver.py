"""Drive synthetic conversations through a running pipeline and time every output.

Latency runs from just before a customer turn is sent to when the broker appended its
decision (or the session's packet) to the output topic: the bench creates those topics with
``message.timestamp.type=LogAppendTime``, so the broker stamps each record as it lands. The
bench's own reader shares the cores with its load generator and would read late whenever
the generator is busy; the broker's stamp does not depend on when the bench gets round to
reading. Without such stamps (topics made elsewhere) the reader's clock is used.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import orjson
from aiokafka import AIOKafkaConsumer

from services.bench.traffic import conversation
from shared.bus.base import Message
from shared.bus.kafka import KafkaPublisher, partitions_of
from shared.schemas.events import ConversationTurn, Role


@dataclass
class PhaseResult:
    name: str
    turns: int
    seconds: float
    decision_latency_ms: list[float] = field(default_factory=list)
    packet_latency_ms: list[float] = field(default_factory=list)
    # From the escalating turn's decision to its packet: the context service's share.
    assembly_latency_ms: list[float] = field(default_factory=list)
    decisions: int = 0
    packets: int = 0
    # Customer turns sent, ramps included: what the phase's CPU was spent on.
    sent: int = 0

    @property
    def turns_per_s(self) -> float:
        return self.turns / self.seconds if self.seconds else 0.0


class Pausable(Protocol):
    """Processes the bench can stop and continue (SIGSTOP / SIGCONT)."""

    def pause(self) -> None: ...

    def resume(self) -> None: ...


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (no interpolation), so p99 is a latency actually observed."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, round(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


LOG_APPEND_TIME = 1  # a record's timestamp_type when the broker stamped it
# Topic configuration for outputs the bench times.
STAMPED = {"message.timestamp.type": "LogAppendTime"}


class OutputReader:
    """Read decisions and packets from the end of their topics; note when each was appended.

    Times are epoch seconds: the broker's LogAppendTime where the topic has it, else when
    the record was read.
    """

    def __init__(self, bootstrap: str, decisions: str, packets: str) -> None:
        # Fetches wait for 100 ms' worth of output, not for the first record: the broker's
        # stamps make reading late harmless, and each fetch costs the generator and the
        # broker CPU on the cores the services need (a fetch per handful of records was a
        # fifth of the generator's CPU flat out).
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            group_id=None,
            enable_auto_commit=False,
            fetch_max_wait_ms=100,
            fetch_min_bytes=1 << 20,
        )
        self._topics = (decisions, packets)
        self._bootstrap = bootstrap
        self.decided: dict[tuple[str, int], float] = {}
        self.packed: dict[str, float] = {}
        self._awaited: set[tuple[str, int]] = set()
        self._all_decided = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    async def start(self) -> None:
        await self._consumer.start()
        tps = await partitions_of(self._bootstrap, self._topics)
        self._consumer.assign(tps)
        await self._consumer.seek_to_end(*tps)
        for tp in tps:
            await self._consumer.position(tp)
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        decisions, _ = self._topics
        while not self._stop.is_set():
            batch = await self._consumer.getmany(timeout_ms=100, max_records=5000)
            now = time.time()
            for tp, records in batch.items():
                for r in records:
                    body = orjson.loads(r.value or b"{}")
                    at = r.timestamp / 1000 if r.timestamp_type == LOG_APPEND_TIME else now
                    if tp.topic == decisions:
                        turn = (body["session_id"], body["seq"])
                        self.decided.setdefault(turn, at)
                        if turn in self._awaited:
                            self._awaited.discard(turn)
                            if not self._awaited:
                                self._all_decided.set()
                    else:
                        self.packed.setdefault(body["session_id"], at)

    def expect(self, turns: Iterable[tuple[str, int]]) -> asyncio.Event:
        """Return an event that is set once every one of ``turns`` has a decision.

        The reader counts them off as they arrive: scanning every sent turn every 50 ms
        was a tenth of the generator's CPU in a flat-out phase.
        """
        self._awaited = {t for t in turns if t not in self.decided}
        self._all_decided = asyncio.Event()
        if not self._awaited:
            self._all_decided.set()
        return self._all_decided

    async def __aenter__(self) -> OutputReader:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task
        await self._consumer.stop()


def staggered(
    convs: Sequence[Sequence[ConversationTurn]],
    *,
    rate: float | None,
    customer_turns: int,
    gap_s: float,
) -> list[ConversationTurn]:
    """Order the turns as conversations that start one after another would arrive.

    At ``rate`` customer turns/s, ``rate / customer_turns`` conversations start each second
    and a conversation's customer turns come ``gap_s`` apart, so every stage of every
    conversation, the escalating last turns included, is spread evenly over the phase (a
    plain round-robin put every handoff in its last quarter). The bot answers each customer
    turn at once. Flat out (no rate), it is a round-robin: every first turn, then every
    second one, and so on.
    """
    window = len(convs) if rate is None else min(len(convs), _starts(rate, customer_turns, gap_s))
    slots: list[tuple[int, int, Sequence[ConversationTurn]]] = []
    for i, conv in enumerate(convs):
        for step in range(0, len(conv), 2):  # a customer turn and the bot's reply to it
            k = step // 2
            slots.append((i + k * window, k, conv[step : step + 2]))
    slots.sort(key=lambda slot: (slot[0], slot[1]))
    return [turn for _, _, pair in slots for turn in pair]


def steady_window(
    rate: float | None, *, conversations: int, customer_turns: int, gap_s: float
) -> tuple[int, int]:
    """How many conversations to send for ``conversations`` in steady state, and the window.

    Paced, the first conversations ramp up (only first turns are under way) and the last ramp
    down (only last turns, which are where conversations escalate: four times the steady
    rate of packets in the phase's final quarter second, and the slowest packets of a run).
    A paced phase therefore sends ``(customer_turns - 1) * window`` more conversations, and
    only the turns sent while every stage was in the mix are timed (see ``steady``).
    Flat out, every turn counts.
    """
    if rate is None:
        return conversations, conversations
    window = _starts(rate, customer_turns, gap_s)
    return conversations + (customer_turns - 1) * window, window


def _starts(rate: float, customer_turns: int, gap_s: float) -> int:
    """Conversations that start each ``gap_s`` at ``rate`` customer turns/s."""
    return max(1, round(rate / customer_turns * gap_s))


def steady(
    convs: Sequence[Sequence[ConversationTurn]], *, window: int, customer_turns: int
) -> set[tuple[str, int]]:
    """The customer turns ``staggered`` sends while every stage of a conversation is under way.

    Conversation ``i``'s ``k``-th customer turn goes in slot ``i + k * window``; from slot
    ``(customer_turns - 1) * window`` to the last conversation's first turn, every slot holds
    one turn of each stage.
    """
    turns = [
        (i + k * window, (t.session_id, t.seq))
        for i, conv in enumerate(convs)
        for k, t in enumerate(c for c in conv if c.role is Role.CUSTOMER)
    ]
    if window >= len(convs):  # flat out, a round-robin: no ramps
        return {turn for _, turn in turns}
    return {turn for slot, turn in turns if (customer_turns - 1) * window <= slot < len(convs)}


CUSTOMER_TURNS = 4  # per synthetic conversation


def paced_conversations(rate: float, seconds: float) -> int:
    """Conversations that fill ``seconds`` at ``rate`` customer turns/s."""
    return max(1, int(rate * seconds / CUSTOMER_TURNS))


async def run_phase(
    *,
    name: str,
    bootstrap: str,
    topic_in: str,
    reader: OutputReader,
    conversations: int,
    rate: float | None,
    customer_turns: int = CUSTOMER_TURNS,
    escalate_share: float = 0.2,
    seed: int = 7,
    timeout_s: float = 120.0,
    tenant: str = "bench",
    turn_gap_s: float = 1.0,
    hold: Pausable | None = None,
    started: Callable[[], object] | None = None,
) -> PhaseResult:
    """Send interleaved conversations, at ``rate`` customer turns/s or flat out.

    Paced, ``conversations`` is how many are timed in steady state: ramps come on top (see
    ``steady_window``), and the sustained rate and latencies are those of the steady turns.
    With ``hold``, the pipeline is paused while every turn is written, and the clock starts
    when it resumes: it then drains a backlog with the load generator idle, so the figure is
    the pipeline's own capacity, not what is left of two cores after the generator's share.
    Latencies then count from the resume, and include the wait in the backlog.
    ``started`` is called when the clock starts, after the traffic is built.
    """
    if hold is not None and rate is not None:
        raise ValueError("a held phase is sent all at once: no rate")
    rng = random.Random(seed)
    run = uuid.uuid4().hex[:6]
    total, window = steady_window(
        rate, conversations=conversations, customer_turns=customer_turns, gap_s=turn_gap_s
    )
    plan = [rng.random() < escalate_share for _ in range(total)]
    convs = [
        conversation(
            tenant, f"{name}-{run}-{i:06d}", customer_turns=customer_turns, escalate=e, rng=rng
        )
        for i, e in enumerate(plan)
    ]
    timed = steady(convs, window=window, customer_turns=customer_turns)
    # A packet is timed from its session's last turn, so it counts when that turn does.
    escalating = {
        c[0].session_id
        for c, e in zip(convs, plan, strict=True)
        if e and (c[0].session_id, max(t.seq for t in c if t.role is Role.CUSTOMER)) in timed
    }
    ordered = staggered(convs, rate=rate, customer_turns=customer_turns, gap_s=turn_gap_s)
    groups = _groups(
        [Message(topic_in, t.key, t.model_dump_json().encode()) for t in ordered],
        ordered,
        paced=rate is not None,
    )
    publisher = KafkaPublisher(bootstrap, client_id="baton-bench", linger_ms=0)
    await publisher.start()
    sent_at: dict[tuple[str, int], float] = {}
    customers = [(t.session_id, t.seq) for t in ordered if t.role is Role.CUSTOMER]
    all_decided = reader.expect(customers)
    if hold is not None:
        hold.pause()
    elif started is not None:
        started()
    try:
        t0 = time.time()
        await _send(publisher, groups, rate, sent_at)
    finally:
        if hold is not None:
            if started is not None:
                started()
            t0 = time.time()
            sent_at = dict.fromkeys(sent_at, t0)
            hold.resume()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(all_decided.wait(), timeout_s)
    # Packets follow decisions closely; a session the models did not escalate has none.
    grace = time.perf_counter() + (3.0 if escalating else 0.0)
    while time.perf_counter() < grace:
        if all(s in reader.packed for s in escalating):
            break
        await asyncio.sleep(0.05)
    timed_sent = {k: t for k, t in sent_at.items() if k in timed}
    start = min(timed_sent.values(), default=t0)
    last = max([reader.decided[k] for k in timed_sent if k in reader.decided] or [start])
    result = PhaseResult(name=name, turns=len(timed_sent), seconds=last - start, sent=len(sent_at))
    result.decision_latency_ms = [
        (reader.decided[k] - t) * 1000 for k, t in timed_sent.items() if k in reader.decided
    ]
    result.decisions = len(result.decision_latency_ms)
    last_turn_sent: dict[str, float] = {}
    last_seq: dict[str, int] = {}
    for (s, seq), t in sent_at.items():
        last_turn_sent[s] = max(t, last_turn_sent.get(s, 0.0))
        last_seq[s] = max(seq, last_seq.get(s, 0))
    result.assembly_latency_ms = [
        (reader.packed[s] - reader.decided[(s, last_seq[s])]) * 1000
        for s in escalating
        if s in reader.packed and (s, last_seq[s]) in reader.decided
    ]
    result.packet_latency_ms = [
        (reader.packed[s] - last_turn_sent[s]) * 1000 for s in escalating if s in reader.packed
    ]
    result.packets = len(result.packet_latency_ms)
    return result


Group = tuple[list[Message], list[tuple[str, int]]]  # messages, and customer turns among them

# How long a paced send waits to gather what else falls due: the default ``linger.ms`` of
# Kafka's own producer since 4.0 (KIP-1030) and of librdkafka, so the bench's platform
# batches as one on default settings would. A produce request per turn cost the generator
# and the broker a third of a core at 500 turns/s, on the cores the services need.
LINGER_S = 0.005


def _groups(
    messages: list[Message], turns: Sequence[ConversationTurn], *, paced: bool
) -> list[Group]:
    """Cut the turns into what is sent at once: paced, a customer turn with the bot's reply;
    flat out, runs of 1,000 (as a platform's producer batches a backlog)."""
    groups: list[Group] = []
    for message, turn in zip(messages, turns, strict=True):
        customer = turn.role is Role.CUSTOMER
        starts = not groups or (customer if paced else len(groups[-1][0]) >= 1000)
        if starts:
            groups.append(([], []))
        groups[-1][0].append(message)
        if customer:
            groups[-1][1].append((turn.session_id, turn.seq))
    return groups


@dataclass(slots=True)
class Round:
    """One produce request of a paced phase: when it goes, and each customer turn's due time.

    Offsets are seconds from the phase's start.
    """

    send_s: float
    messages: list[Message] = field(default_factory=list)
    due_s: dict[tuple[str, int], float] = field(default_factory=dict)


def lingered(groups: Sequence[Group], *, rate: float, linger_s: float) -> list[Round]:
    """Schedule paced groups as a lingering producer sends them.

    Customer turn ``i`` falls due at ``i / rate``. A request goes ``linger_s`` after the
    first group it holds fell due and takes every group due by then.
    """
    rounds: list[Round] = []
    sent = 0
    for messages, customers in groups:
        due = sent / rate
        if not rounds or due > rounds[-1].send_s:
            rounds.append(Round(send_s=due + linger_s))
        current = rounds[-1]
        current.messages.extend(messages)
        for turn in customers:
            current.due_s[turn] = due
        sent += len(customers)
    return rounds


async def _send(
    publisher: KafkaPublisher,
    groups: Sequence[Group],
    rate: float | None,
    sent_at: dict[tuple[str, int], float],
) -> None:
    """Send every group, customer turns paced at ``rate``; note when each customer turn left.

    Paced, a turn counts as sent when it fell due, so the linger and any lag of the
    generator count against the pipeline, never for it. Pacing runs on the monotonic clock;
    the send times are epoch seconds, to compare with the broker's stamps.
    """
    pending: list[asyncio.Future[None]] = []
    try:
        if rate is None:
            for messages, customers in groups:
                now = time.time()
                for turn in customers:
                    sent_at[turn] = now
                await _queue(publisher, messages, pending)
        else:
            t0, epoch0 = time.perf_counter(), time.time()
            for r in lingered(groups, rate=rate, linger_s=LINGER_S):
                delay = t0 + r.send_s - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                for turn, due in r.due_s.items():
                    sent_at[turn] = epoch0 + due
                await _queue(publisher, r.messages, pending)
        await asyncio.gather(*pending)
    finally:
        for acked in pending:
            acked.cancel()  # stopped early: nobody waits for these acknowledgements any more
        await publisher.stop()


async def _queue(
    publisher: KafkaPublisher, messages: list[Message], pending: list[asyncio.Future[None]]
) -> None:
    """Send without waiting for the acknowledgement; wait for them every 500 sends."""
    pending.append(asyncio.ensure_future(await publisher.send(messages)))
    if len(pending) >= 500:
        await asyncio.gather(*pending)
        pending.clear()


def report(result: PhaseResult) -> str:
    d, p = result.decision_latency_ms, result.packet_latency_ms
    a = result.assembly_latency_ms
    ramps = (
        f", {result.sent - result.turns} more in the ramps, untimed"
        if result.sent > result.turns
        else ""
    )
    return (
        f"[{result.name}] {result.turns_per_s:,.0f} turns/s sustained "
        f"({result.turns} customer turns in {result.seconds:.2f} s{ramps}; "
        f"{result.decisions} decisions, {result.packets} packets)\n"
        f"[{result.name}] turn->decision p50 {percentile(d, 50):.1f} ms  "
        f"p99 {percentile(d, 99):.1f} ms\n"
        f"[{result.name}] turn->packet   p50 {percentile(p, 50):.1f} ms  "
        f"p99 {percentile(p, 99):.1f} ms  "
        f"(decision->packet p50 {percentile(a, 50):.1f} ms p99 {percentile(a, 99):.1f} ms)"
    )


def dumps(result: PhaseResult) -> bytes:
    return orjson.dumps(
        {
            "phase": result.name,
            "turns_per_s": result.turns_per_s,
            "decision_p50_ms": percentile(result.decision_latency_ms, 50),
            "decision_p99_ms": percentile(result.decision_latency_ms, 99),
            "packet_p50_ms": percentile(result.packet_latency_ms, 50),
            "packet_p99_ms": percentile(result.packet_latency_ms, 99),
        }
    )
