"""``baton bench``: Baton's four services vs a bare relay chain, same broker, same run."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import json
import os
import sys
import time
import uuid

from services.bench.driver import OutputReader, PhaseResult, report, run_phase
from services.cli.supervisor import Supervisor
from shared.bus.kafka import KafkaBus, drop_topics
from shared.config import BatonSettings
from shared.schemas.topics import ALL_TOPICS, CONVERSATION_EVENTS, DECISIONS, HANDOFF_PACKETS
from shared.state.redis import drop_keys

RELAY_HOPS = 3  # turn -> analysis -> decision -> packet
SETTLE_SECONDS = 3.0


async def bench(
    *, conversations: int, latency_rate: float, latency_seconds: float, partitions: int
) -> list[PhaseResult]:
    """Run every phase on topics of this run's own, and delete them afterwards."""
    settings = BatonSettings()
    boot = settings.kafka_bootstrap_servers
    run = uuid.uuid4().hex[:6]
    # The run's topics, consumer groups, Redis queues and tenant (hence every session and
    # history key) all carry this name, so everything it made can be removed afterwards.
    print(f"[bench] run bench{run}: topics bench{run}.*, tenant bench{run}", flush=True)
    before = _speed_probe()
    try:
        return await _phases(
            boot,
            run,
            conversations=conversations,
            latency_rate=latency_rate,
            latency_seconds=latency_seconds,
            partitions=partitions,
        )
    finally:
        await drop_topics(boot, f"bench{run}.")
        await drop_keys(settings.redis_url, f"*bench{run}*")
        await asyncio.sleep(SETTLE_SECONDS)  # the broker deletes the topics in the background
        print(
            f"[machine] speed probe {before:.0f} ms before the run, {_speed_probe():.0f} ms after"
            " (a fixed Python workload, lower is faster: compare runs by it)",
            flush=True,
        )


async def _phases(
    boot: str,
    run: str,
    *,
    conversations: int,
    latency_rate: float,
    latency_seconds: float,
    partitions: int,
) -> list[PhaseResult]:
    prefix = f"bench{run}."
    await KafkaBus(boot, topic_prefix=prefix).ensure_topics(
        [t.name for t in ALL_TOPICS], partitions=partitions
    )
    results: list[PhaseResult] = []
    env = {
        "BATON_TOPIC_PREFIX": prefix,
        "BATON_CONSUMER_GROUP_PREFIX": f"bench{run}",
        "BATON_LOG_LEVEL": os.environ.get("BATON_BENCH_LOG_LEVEL", "WARNING"),
        # The bench's sessions need not outlive it in Redis.
        "BATON_SESSION_TTL_SECONDS": "900",
    }
    core = ["intent", "sentiment", "escalation", "context"]
    sup = Supervisor(core, env=env, port_offset=100)
    await sup.start()
    # In production the load comes from other machines. Here the generator shares the two
    # cores, so it yields to the services it measures; if it falls behind, the sustained
    # rate it prints shows it, and late reads only make the latencies look worse.
    priority = os.getpriority(os.PRIO_PROCESS, 0)
    os.nice(int(os.environ.get("BATON_BENCH_NICE", "5")))
    try:
        await sup.wait_ready()
        reader = OutputReader(boot, prefix + DECISIONS.name, prefix + HANDOFF_PACKETS.name)
        await reader.start()
        common = {
            "bootstrap": boot,
            "topic_in": prefix + CONVERSATION_EVENTS.name,
            "reader": reader,
            "tenant": f"bench{run}",
        }
        await run_phase(name="warmup", conversations=50, rate=None, **common)  # type: ignore[arg-type]
        # Steady traffic first, from a rested pipeline: after a flood, its tail is still being
        # digested for a while and would be measured as latency at 500/s.
        n_latency = max(1, int(latency_rate * latency_seconds / 4))
        before = sup.cpu_seconds()
        driver_before = time.process_time()
        machine_before = _machine_ticks()
        paced = await run_phase(
            name=f"baton-{latency_rate:.0f}/s",
            conversations=n_latency,
            rate=latency_rate,
            **common,  # type: ignore[arg-type]
        )
        after = sup.cpu_seconds()
        driver = time.process_time() - driver_before
        machine = _machine_line(paced.name, machine_before, _machine_ticks())
        print(report(paced), flush=True)
        print(_cpu_line(paced.name, before, after, paced.turns, driver=driver), flush=True)
        if machine is not None:
            print(machine, flush=True)
        await asyncio.sleep(SETTLE_SECONDS)
        before = sup.cpu_seconds()
        throughput = await run_phase(
            name="baton-max",
            conversations=conversations,
            rate=None,
            **common,  # type: ignore[arg-type]
        )
        after = sup.cpu_seconds()
        print(report(throughput), flush=True)
        print(_cpu_line(throughput.name, before, after, throughput.turns), flush=True)
        results += [throughput, paced]
        await reader.stop()
    finally:
        await sup.stop()

    # Baseline: the same turns through bare relays, one process per hop like the services.
    hops = [prefix + CONVERSATION_EVENTS.name] + [
        f"{prefix}relay.{i}" for i in range(1, RELAY_HOPS + 1)
    ]
    await KafkaBus(boot).ensure_topics(hops[1:], partitions=partitions)
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "services.bench.relay",
            boot,
            src,
            dst,
            f"bench{run}-relay{i}",
            preexec_fn=functools.partial(_restore_priority, priority),
        )
        for i, (src, dst) in enumerate(itertools.pairwise(hops))
    ]
    try:
        reader = OutputReader(boot, hops[-1], hops[-1] + ".none")
        await reader.start()
        await asyncio.sleep(2.0)  # let the relays join their groups and skip the Baton phases
        relay_common = {"bootstrap": boot, "topic_in": hops[0], "reader": reader}
        await run_phase(name="relay-warmup", conversations=50, rate=None, **relay_common)  # type: ignore[arg-type]
        relay = await run_phase(
            name="relay-max",
            conversations=conversations,
            rate=None,
            **relay_common,  # type: ignore[arg-type]
        )
        relay.packet_latency_ms = []
        await reader.stop()
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            await p.wait()
    print(
        f"[relay-max] {relay.turns_per_s:,.0f} turns/s through {RELAY_HOPS} bare aiokafka hops; "
        f"turn->last hop p50 {_p(relay, 50):.1f} ms p99 {_p(relay, 99):.1f} ms",
        flush=True,
    )
    ratio = throughput.turns_per_s / relay.turns_per_s if relay.turns_per_s else float("nan")
    print(
        f"[ratio] baton {throughput.turns_per_s:,.0f} turns/s / "
        f"relay {relay.turns_per_s:,.0f} turns/s"
        f" = {ratio:.2f}",
        flush=True,
    )
    return [*results, relay]


def _speed_probe() -> float:
    """Milliseconds a fixed pure-Python workload takes: the machine's speed right now.

    On a shared virtual machine the same code runs faster or slower from one run to the
    next; printing this beside the figures tells a slow machine from a slow change.
    """
    record = {"session_id": "s-000001", "seq": 7, "text": "where is my order 12345", "n": 1.5}
    started = time.perf_counter()
    for i in range(20_000):
        record["seq"] = i
        json.loads(json.dumps(record))
    return (time.perf_counter() - started) * 1000


def _restore_priority(priority: int) -> None:
    """Give a relay the services' priority, not the generator's (where the OS allows it)."""
    with contextlib.suppress(PermissionError):
        os.setpriority(os.PRIO_PROCESS, 0, priority)


def _machine_ticks() -> tuple[int, int, int] | None:
    """(busy, total, stolen) CPU ticks of the whole machine, where /proc/stat exists."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = [int(x) for x in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    steal = fields[7] if len(fields) > 7 else 0
    # /proc/stat's guest columns are already counted in user time.
    total = sum(fields[:8])
    return total - idle, total, steal


def _machine_line(
    name: str, start: tuple[int, int, int] | None, end: tuple[int, int, int] | None
) -> str | None:
    """How busy the machine was, and how much of it a hypervisor took (steal).

    Near 100 % busy, queues build. Steal is CPU time the virtual machine wanted but its host
    gave to someone else: the usual reason identical runs differ on shared machines.
    """
    if start is None or end is None or end[1] == start[1]:
        return None
    total = end[1] - start[1]
    busy = (end[0] - start[0]) / total
    steal = (end[2] - start[2]) / total
    return f"[{name}] machine CPU busy {busy:.0%} (all cores), stolen by the host {steal:.1%}"


def _cpu_line(
    name: str,
    before: dict[str, float],
    after: dict[str, float],
    turns: int,
    *,
    driver: float | None = None,
) -> str:
    """CPU per service over a phase, and per customer turn: what a faster service saves."""
    used = {n: after[n] - before[n] for n in after}
    per_turn = sum(used.values()) / turns * 1000 if turns else float("nan")
    line = (
        f"[{name}] CPU s per service: "
        + ", ".join(f"{n} {v:.2f}" for n, v in used.items())
        + f"; {per_turn:.2f} ms CPU per customer turn"
    )
    if driver is not None:  # shares the two cores; in production the load comes from elsewhere
        line += f"; load generator {driver:.2f} s"
    return line


def _p(result: PhaseResult, q: float) -> float:
    from services.bench.driver import percentile

    return percentile(result.decision_latency_ms, q)
