"""Servers of a test's own, started by the project's deploy/local scripts on free ports.

Tests that stop, restart or corrupt a server use one of these, never the shared instances
every other test runs on.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import ROOT

LOCAL = ROOT / "deploy" / "local"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@dataclass
class LocalServer:
    """``deploy/local/<script>`` with an environment of its own (port, data directory)."""

    script: str
    port: int
    env: dict[str, str]
    timeout: float = 60.0

    def run(self, command: str) -> str:
        """Run ``start``/``stop``/...; it must succeed. Returns what the script logged."""
        done = subprocess.run(
            ["bash", str(LOCAL / self.script), command],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=self.timeout,
            check=False,
        )
        assert done.returncode == 0, f"{self.script} {command} failed:\n{done.stderr[-3000:]}"
        return done.stderr


def _own_env(data_dir: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("KAFKA_BOOTSTRAP_SERVERS", "REDIS_URL")}
    return env | {"BATON_DATA_DIR": str(data_dir), **settings}


def own_redis(data_dir: Path) -> LocalServer:
    port = free_port()
    return LocalServer("redis.sh", port, _own_env(data_dir, BATON_REDIS_PORT=str(port)))


def own_kafka(data_dir: Path) -> LocalServer:
    port = free_port()
    env = _own_env(
        data_dir,
        BATON_KAFKA_PORT=str(port),
        BATON_KAFKA_CONTROLLER_PORT=str(free_port()),
        BATON_KAFKA_HEAP_OPTS="-Xmx384m -Xms128m",
        BATON_KAFKA_START_TIMEOUT="120",
    )
    return LocalServer("kafka.sh", port, env, timeout=180.0)


@contextlib.contextmanager
def started(server: LocalServer) -> Iterator[LocalServer]:
    """The server running for the block, stopped after it whatever happened."""
    server.run("start")
    try:
        yield server
    finally:
        server.run("stop")
