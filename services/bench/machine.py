"""What the machine did during a bench phase: its speed, how busy it was, who used the CPU.

The bench shares two cores with the broker, Redis and its own load generator. Printing each
one's share tells a slow change from a slow machine, and shows what a faster service saves.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import statistics
import time
from collections.abc import Mapping
from pathlib import Path

# Process name -> what identifies it in /proc/<pid>/cmdline.
INFRA_MARKERS = {"kafka": b"kafka.Kafka", "redis": b"redis-server"}


def speed_probe() -> float:
    """Milliseconds a fixed pure-Python workload takes: the machine's speed right now.

    On a shared virtual machine the same code runs faster or slower from one run to the
    next; printing this beside the figures tells a slow machine from a slow change.
    """
    started = time.perf_counter()
    _workload(20_000)
    return (time.perf_counter() - started) * 1000


def _workload(iterations: int) -> None:
    record = {"session_id": "s-000001", "seq": 7, "text": "where is my order 12345", "n": 1.5}
    for i in range(iterations):
        record["seq"] = i
        json.loads(json.dumps(record))


def cpu_probe(iterations: int = 500) -> float:
    """CPU milliseconds a small fixed workload costs: the host's speed, not the queue's.

    Timed in this thread's CPU time, so waiting for a core (the services are busy) does
    not count; what does is the host running the virtual machine's CPUs slower.
    """
    started = time.thread_time()
    _workload(iterations)
    return (time.thread_time() - started) * 1000


class Canary:
    """Samples ``cpu_probe`` while a phase runs.

    Identical bench runs have needed anywhere from 0.70 to 1.28 ms of service CPU per
    customer turn; a probe timed during the phase shows whether the host was the cause.
    """

    def __init__(self, *, every: float = 0.5) -> None:
        self._every = every
        self.samples: list[float] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            self.samples.append(cpu_probe())
            await asyncio.sleep(self._every)

    async def stop(self) -> list[float]:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        return self.samples


def canary_line(name: str, samples: list[float]) -> str | None:
    """The probe's median over the phase; compare runs by it (lower is faster)."""
    if not samples:
        return None
    return (
        f"[{name}] host speed: a fixed workload cost {statistics.median(samples):.2f} ms CPU"
        f" (median of {len(samples)}; lower is faster: compare runs by it)"
    )


def _stat_cpu(stat: str) -> float:
    """User + system CPU seconds from a /proc ``stat`` line (a process's or a thread's)."""
    fields = stat.rsplit(")", 1)[1].split()  # the name in parentheses may hold spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used, from /proc; NaN where unreadable."""
    try:
        return _stat_cpu(Path(f"/proc/{pid}/stat").read_text())
    except (OSError, IndexError, ValueError):
        return float("nan")


def infra_pids(proc: Path = Path("/proc")) -> dict[str, int]:
    """Pids of a broker and a Redis server running on this machine, where /proc shows them.

    With a remote broker or store (KAFKA_BOOTSTRAP_SERVERS, REDIS_URL elsewhere) they are
    simply absent, and so is their line.
    """
    found: dict[str, int] = {}
    try:
        entries = list(proc.iterdir())
    except OSError:
        return found
    for entry in entries:
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        for name, marker in INFRA_MARKERS.items():
            if name not in found and marker in cmdline:
                found[name] = int(entry.name)
    return found


def cpu_of(pids: Mapping[str, int]) -> dict[str, float]:
    return {name: process_cpu(pid) for name, pid in pids.items()}


# A HotSpot JVM's JIT compiler threads, as /proc names them (truncated to 15 characters).
JIT_THREADS = ("C1 CompilerThre", "C2 CompilerThre")


def jit_cpu(pid: int, proc: Path = Path("/proc")) -> float | None:
    """CPU seconds a JVM's JIT compiler threads have used so far; None where /proc hides them.

    A broker that has just started compiles its hot paths for about a minute of load, on the
    cores the services need: this tells a bench when that is over. HotSpot stops idle
    compiler threads, and their time leaves the sum with them, so compare readings with
    ``max(0, later - earlier)``.
    """
    tasks = proc / str(pid) / "task"
    try:
        threads = list(tasks.iterdir())
    except OSError:
        return None
    total = 0.0
    for thread in threads:
        try:
            if (thread / "comm").read_text().strip() not in JIT_THREADS:
                continue
            stat = (thread / "stat").read_text()
        except OSError:  # the thread ended meanwhile
            continue
        total += _stat_cpu(stat)
    return total


def machine_ticks() -> tuple[int, int, int] | None:
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


def machine_line(
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


def cpu_line(
    name: str,
    before: Mapping[str, float],
    after: Mapping[str, float],
    turns: int,
    *,
    others: Mapping[str, float] | None = None,
) -> str:
    """CPU per service over a phase, and per customer turn: what a faster service saves.

    ``others`` (CPU seconds of the broker, Redis and the load generator over the same
    phase) share the cores; in production they would run elsewhere.
    """
    used = {n: after[n] - before[n] for n in after}
    per_turn = sum(used.values()) / turns * 1000 if turns else float("nan")
    line = (
        f"[{name}] CPU s per service: "
        + ", ".join(f"{n} {v:.2f}" for n, v in used.items())
        + f"; {per_turn:.2f} ms CPU per customer turn"
    )
    if others:
        line += "; sharing the cores: " + ", ".join(f"{n} {v:.2f} s" for n, v in others.items())
    return line
