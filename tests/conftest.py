"""Shared fixtures: real Kafka and Redis for integration tests, found or started once."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Infra:
    kafka: str
    redis_url: str


def _answers(hostport: str) -> bool:
    host, _, port = hostport.rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=1):
            return True
    except OSError:
        return False


def _docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    """Honour KAFKA_BOOTSTRAP_SERVERS / REDIS_URL; else testcontainers; else the local broker."""
    kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    redis_url = os.environ.get("REDIS_URL")
    if kafka and redis_url:
        yield Infra(kafka, redis_url)
        return
    if not kafka and not redis_url and _docker_answers():
        from testcontainers.kafka import KafkaContainer
        from testcontainers.redis import RedisContainer

        with (
            KafkaContainer("apache/kafka:3.9.1").with_kraft() as k,
            RedisContainer("redis:7-alpine") as r,
        ):
            yield Infra(
                k.get_bootstrap_server(),
                f"redis://{r.get_container_host_ip()}:{r.get_exposed_port(6379)}/0",
            )
        return
    if not _answers(kafka or "127.0.0.1:9092") or not (redis_url or _answers("127.0.0.1:6379")):
        subprocess.run(["bash", str(ROOT / "deploy/local/up.sh")], check=True)
    yield Infra(kafka or "127.0.0.1:9092", redis_url or "redis://127.0.0.1:6379/0")


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture(scope="session")
async def redis_store(infra: Infra) -> AsyncIterator[object]:
    from shared.state.redis import RedisStateStore

    store = RedisStateStore.from_url(infra.redis_url)
    yield store
    await store.close()
