"""`baton bench`, tiny: every phase prints its figures, and the run's topics are gone after."""

from __future__ import annotations

import asyncio
import os
import re
import sys

import pytest
import redis.asyncio as aioredis
from aiokafka.admin import AIOKafkaAdminClient

from tests.conftest import ROOT, Infra
from tests.processes import processes_with_topic_prefix

pytestmark = pytest.mark.e2e


async def _bench_topics(bootstrap: str) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return {t for t in await admin.list_topics() if t.startswith("bench")}
    finally:
        await admin.close()


async def _start_bench(infra: Infra, conversations: int) -> asyncio.subprocess.Process:
    """`baton bench`, tiny, on the test's broker and Redis."""
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": infra.kafka,
        "REDIS_URL": infra.redis_url,
        "BATON_BENCH_NICE": "0",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.cli",
        "bench",
        *("--conversations", str(conversations), "--rate", "40", "--seconds", "3"),
        *("--partitions", "2", "--warmup-seconds", "1", "--warmup-max-seconds", "1"),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


async def _keys_of(redis_url: str, run: str) -> list[bytes]:
    client = aioredis.Redis.from_url(redis_url)
    try:
        return [k async for k in client.scan_iter(match=f"*{run}*")]
    finally:
        await client.aclose()


async def test_bench_prints_every_phase_and_cleans_up(infra: Infra) -> None:
    before = await _bench_topics(infra.kafka)
    proc = await _start_bench(infra, 40)
    out, _ = await asyncio.wait_for(proc.communicate(), 240)
    text = out.decode()
    assert proc.returncode == 0, text[-2000:]
    for phase in ("baton-40/s", "baton-max", "baton-drain", "relay-max", "relay-drain"):
        rate = re.search(rf"\[{re.escape(phase)}\] ([\d,]+) turns/s", text)
        assert rate is not None, f"no turns/s line for {phase}:\n{text[-2000:]}"
        assert int(rate.group(1).replace(",", "")) > 0
    assert re.search(r"\[baton-40/s\] turn->packet +p50 [\d.]+ ms +p99 [\d.]+ ms", text), text
    # 3 s at 40 turns/s in steady state: 30 conversations, and 30 more (10 start each second,
    # 3 seconds of ramp) whose turns are sent but not timed.
    steady = r"\[baton-40/s\] [\d,]+ turns/s sustained \(120 customer turns in [\d.]+ s, 120 more"
    assert re.search(steady, text), text
    assert "ms CPU per customer turn" in text
    assert re.search(r"\[warmup\] \d+ s of paced traffic at 40 turns/s; the broker's JIT", text)
    assert re.search(r"\[baton-40/s\] machine CPU busy \d+% .* stolen by the host [\d.]+%", text)
    assert re.search(r"\[machine\] speed probe \d+ ms before the run, \d+ ms after", text)
    assert re.search(r"\[baton-max\] host speed: .* [\d.]+ ms CPU \(median of", text)
    assert re.search(r"\[ratio\] baton .* = \d+\.\d\d", text)
    # The held phase resumed the pipeline: every one of its 160 customer turns was decided.
    assert re.search(r"\[baton-drain\] [\d,]+ turns/s draining .* \(160 decisions in", text), text
    assert re.search(r"\[ratio-drain\] baton .* = \d+\.\d\d", text)
    verdict = r"\[targets\] flat out, live: [\d,]+ turns/s \(>= 2,000: (met|missed)\); the p99"
    assert re.search(verdict, text), text[-2000:]
    shared = r"\[baton-max\] CPU s per service: .*sharing the cores: .*load generator"
    assert re.search(shared, text), text
    assert await _bench_topics(infra.kafka) == before, "the run's topics are deleted"
    run = re.search(r"\[bench\] run (bench[0-9a-f]+):", text)
    assert run is not None, text[:2000]
    assert await _keys_of(infra.redis_url, run.group(1)) == [], "sessions and queues deleted"


async def test_a_terminated_bench_stops_its_services_and_cleans_up(infra: Infra) -> None:
    before = await _bench_topics(infra.kafka)
    proc = await _start_bench(infra, 400)
    assert proc.stdout is not None
    seen = b""
    run = None
    async with asyncio.timeout(180):
        while b"[baton-40/s] machine CPU" not in seen:  # the services are busy: stop it now
            line = await proc.stdout.readline()
            assert line, seen.decode()[-2000:]
            seen += line
            if run is None and (found := re.search(rb"\[bench\] run (bench[0-9a-f]+):", line)):
                run = found.group(1).decode()
    assert run is not None
    assert processes_with_topic_prefix(f"{run}."), "the services run while the bench does"
    proc.terminate()
    out, _ = await asyncio.wait_for(proc.communicate(), 120)
    text = (seen + out).decode()
    assert proc.returncode == 130, text[-2000:]
    assert "cleaned up" in text
    assert processes_with_topic_prefix(f"{run}.") == [], "no service of the run is left running"
    assert await _bench_topics(infra.kafka) == before, "the run's topics are deleted"
    assert await _keys_of(infra.redis_url, run) == [], "the run's keys are deleted"
