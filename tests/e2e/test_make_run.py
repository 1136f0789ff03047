"""`make run`'s command, `baton run all --demo`: sample traffic in, readable packets out.

The README promises that it starts every service, replays the bundled conversations and
prints handoff packets with their transcripts within a minute, until Ctrl-C.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import uuid
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer

from shared.bus.kafka import drop_topics
from shared.schemas.events import HandoffPacketBuilt
from shared.schemas.topics import HANDOFF_PACKETS
from tests.conftest import ROOT, Infra
from tests.processes import processes_with_topic_prefix

pytestmark = pytest.mark.e2e


def _env(infra: Infra, prefix: str, *, http_ports: tuple[int, int]) -> dict[str, str]:
    """The run's own broker, Redis, topics, groups and gateway and desk ports."""
    gateway, desk = http_ports
    return {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": infra.kafka,
        "REDIS_URL": infra.redis_url,
        "BATON_TOPIC_PREFIX": prefix,
        "BATON_CONSUMER_GROUP_PREFIX": prefix.rstrip("."),
        "BATON_LOG_LEVEL": "WARNING",
        "BATON_GATEWAY_PORT": str(gateway),
        "BATON_DESK_PORT": str(desk),
    }


async def _packets(bootstrap: str, topic: str) -> list[HandoffPacketBuilt]:
    """Every packet on the topic from its start (the run's own, prefixed topic)."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        batch = await consumer.getmany(timeout_ms=5000)
        return [
            HandoffPacketBuilt.model_validate_json(r.value or b"")
            for records in batch.values()
            for r in records
            if b'"handoff.packet"' in (r.value or b"")
        ]
    finally:
        await consumer.stop()


async def test_run_all_demo_prints_packets_with_transcripts_until_interrupted(
    infra: Infra,
) -> None:
    prefix = f"mr{uuid.uuid4().hex[:6]}."
    env = _env(infra, prefix, http_ports=(18280, 18281))
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "services.cli", "run", "all", "--demo"),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert proc.stdout is not None
    seen: list[str] = []
    try:
        async with asyncio.timeout(150):
            # Until every sample is published and a packet's transcript has a customer line.
            while not (_published(seen) and _customer_line_after(seen, "Transcript:")):
                line = (await proc.stdout.readline()).decode()
                assert line, "".join(seen)[-3000:]
                seen.append(line)
        text = "".join(seen)
        assert "baton: all services ready" in text
        assert "HANDOFF  session=" in text and "Reasons: " in text
        packets = await _packets(infra.kafka, prefix + HANDOFF_PACKETS.name)
        assert packets, "the printed packet is on the run's handoff topic"
        assert all(p.transcript for p in packets), "every packet carries its transcript"
        proc.send_signal(signal.SIGINT)
        await asyncio.wait_for(proc.wait(), 60)
        assert proc.returncode == 0, "".join(seen)[-3000:]
    finally:
        if (
            proc.returncode is None
        ):  # failed early: stop it as Ctrl-C would, so it stops its children
            proc.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(proc.wait(), 60)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        await drop_topics(infra.kafka, prefix)


def _published(lines: list[str]) -> bool:
    return any("published" in line and "sample conversations" in line for line in lines)


def _customer_line_after(lines: list[str], marker: str) -> bool:
    """A transcript line (``  1 customer ...``) somewhere after the first ``marker``."""
    start = next((i for i, line in enumerate(lines) if marker in line), len(lines))
    return any(line.split()[1:2] == ["customer"] for line in lines[start + 1 :] if line.strip())


async def test_services_stop_when_run_all_is_killed(infra: Infra, tmp_path: Path) -> None:
    """SIGKILL leaves no chance to stop the children: they must notice and stop themselves."""
    prefix = f"mk{uuid.uuid4().hex[:6]}."
    env = _env(infra, prefix, http_ports=(18380, 18381))
    # Output to a file, not a pipe: children that outlived the parent (the failure this test
    # looks for) would hold a pipe open and hang the wait for the parent.
    out = tmp_path / "out.txt"
    with out.open("wb") as sink:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            *("-m", "services.cli", "run", "all"),
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=asyncio.subprocess.STDOUT,
        )
    try:
        async with asyncio.timeout(120):
            while b"baton: all services ready" not in out.read_bytes():
                assert proc.returncode is None, out.read_text()[-3000:]
                await asyncio.sleep(0.2)
        children = [pid for pid in processes_with_topic_prefix(prefix) if pid != proc.pid]
        assert len(children) >= 4, "the services run as child processes"
        proc.kill()
        await proc.wait()
        deadline = asyncio.get_running_loop().time() + 60
        running = children
        while running and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.5)
            # An exited child stays a zombie until reaped; it no longer runs.
            running = [pid for pid in children if not _gone(pid)]
        assert running == [], "services outlived a killed `baton run all`"
    finally:
        for pid in processes_with_topic_prefix(prefix):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        await drop_topics(infra.kafka, prefix)


def _gone(pid: int) -> bool:
    """The process has exited (a zombie counts: it runs no more)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True
