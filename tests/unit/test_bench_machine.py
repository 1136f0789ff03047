"""The bench's machine accounting: finding the broker and Redis, and what it prints."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from services.bench.machine import (
    Canary,
    canary_line,
    cpu_line,
    cpu_probe,
    infra_pids,
    jit_cpu,
    machine_line,
    process_cpu,
)


def _proc(root: Path, pid: int, cmdline: bytes) -> None:
    (root / str(pid)).mkdir()
    (root / str(pid) / "cmdline").write_bytes(cmdline)


def test_infra_pids_finds_the_broker_and_redis_by_command_line(tmp_path: Path) -> None:
    _proc(tmp_path, 11, b"java\x00-cp\x00libs/*\x00kafka.Kafka\x00server.properties\x00")
    _proc(tmp_path, 12, b"redis-server 127.0.0.1:6379\x00")
    _proc(tmp_path, 13, b"python\x00-m\x00services.cli\x00run\x00intent\x00")
    (tmp_path / "self").mkdir()  # not a pid: ignored
    assert infra_pids(tmp_path) == {"kafka": 11, "redis": 12}


def test_infra_pids_is_empty_without_proc(tmp_path: Path) -> None:
    assert infra_pids(tmp_path / "absent") == {}


def test_process_cpu_reads_this_process_and_nan_for_a_missing_one() -> None:
    assert process_cpu(os.getpid()) >= 0.0
    assert process_cpu(2**22 + 12345) != process_cpu(2**22 + 12345)  # NaN


def test_cpu_line_reports_per_turn_cost_and_what_shares_the_cores() -> None:
    line = cpu_line(
        "baton-max",
        {"intent": 1.0, "context": 2.0},
        {"intent": 2.5, "context": 4.5},
        turns=2000,
        others={"kafka": 0.75, "load generator": 1.25},
    )
    assert "intent 1.50, context 2.50" in line
    assert "2.00 ms CPU per customer turn" in line  # (1.5 + 2.5) s / 2000 turns
    assert line.endswith("sharing the cores: kafka 0.75 s, load generator 1.25 s")


def test_machine_line_gives_busy_and_stolen_shares() -> None:
    line = machine_line("p", (100, 1000, 0), (250, 1200, 10))
    assert line == "[p] machine CPU busy 75% (all cores), stolen by the host 5.0%"
    assert machine_line("p", None, (1, 2, 0)) is None


def test_canary_line_gives_the_median_probe_of_the_phase() -> None:
    line = canary_line("baton-max", [3.0, 5.0, 4.0])
    assert line == (
        "[baton-max] host speed: a fixed workload cost 4.00 ms CPU"
        " (median of 3; lower is faster: compare runs by it)"
    )
    assert canary_line("baton-max", []) is None


def test_cpu_probe_counts_cpu_time_not_waiting() -> None:
    assert cpu_probe(2000) > cpu_probe(10) > 0.0


async def test_the_canary_samples_until_stopped() -> None:
    canary = Canary(every=0.01)
    canary.start()
    await asyncio.sleep(0.2)
    samples = await canary.stop()
    assert samples and all(s > 0 for s in samples)
    count = len(samples)
    await asyncio.sleep(0.05)
    assert len(canary.samples) == count  # stopped: no more samples


def _thread(root: Path, pid: int, tid: int, name: str, ticks: tuple[int, int]) -> None:
    task = root / str(pid) / "task" / str(tid)
    task.mkdir(parents=True)
    (task / "comm").write_text(name + "\n")
    # Fields after the command: state, then 10 more, then utime and stime (in clock ticks).
    rest = ["S"] + ["0"] * 10 + [str(ticks[0]), str(ticks[1])] + ["0"] * 5
    (task / "stat").write_text(f"{tid} ({name}) " + " ".join(rest) + "\n")


def test_jit_cpu_sums_the_compiler_threads_only(tmp_path: Path) -> None:
    hz = os.sysconf("SC_CLK_TCK")
    _thread(tmp_path, 11, 12, "C2 CompilerThre", (3 * hz, hz))
    _thread(tmp_path, 11, 13, "C1 CompilerThre", (hz, 0))
    _thread(tmp_path, 11, 14, "data-plane-kafk", (50 * hz, 9 * hz))  # a request handler
    assert jit_cpu(11, tmp_path) == pytest.approx(5.0)
    assert jit_cpu(99, tmp_path) is None  # no such process, or /proc hides it


def test_warming_stops_once_the_least_is_done_and_the_jit_is_quiet_or_at_the_most() -> None:
    from services.bench.run import JIT_QUIET_SHARE, warm_enough

    busy, quiet = JIT_QUIET_SHARE * 4, JIT_QUIET_SHARE / 2
    assert not warm_enough(10, least_s=15, most_s=120, jit_share=quiet)
    assert not warm_enough(30, least_s=15, most_s=120, jit_share=busy)
    assert warm_enough(30, least_s=15, most_s=120, jit_share=quiet)
    assert warm_enough(30, least_s=15, most_s=120, jit_share=None)  # a remote broker
    assert warm_enough(120, least_s=15, most_s=120, jit_share=busy)


def test_the_targets_line_judges_flat_out_and_the_p99_at_the_targets_rate_only() -> None:
    from services.bench.driver import PhaseResult
    from services.bench.run import targets_line

    fast = PhaseResult(name="baton-max", turns=8000, seconds=3.9)  # 2,051 turns/s
    slow = PhaseResult(name="baton-max", turns=8000, seconds=4.1)  # 1,951
    paced = PhaseResult(name="baton-500/s", turns=100, seconds=0.2)
    paced.packet_latency_ms = [100.0] * 98 + [240.0, 900.0]  # p99 is the 99th of 100: 240
    line = targets_line(fast, paced, rate=500.0)
    assert "2,051 turns/s (>= 2,000: met)" in line
    assert "p99 at 500/s: 240 ms (<= 250 ms: met)" in line
    paced.packet_latency_ms = [100.0] * 97 + [260.0] * 3
    line = targets_line(slow, paced, rate=500.0)
    assert "1,951 turns/s (>= 2,000: missed)" in line
    assert "260 ms (<= 250 ms: missed)" in line
    assert "the p99 target is for 500 turns/s, not 40" in targets_line(fast, paced, rate=40.0)
