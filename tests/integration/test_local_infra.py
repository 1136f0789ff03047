"""The local infrastructure scripts start real servers over state left by dead ones.

A machine restored from a snapshot, or rebooted after a crash, keeps the pid files of
servers that no longer run. CI once failed because ``kafka.sh start`` read such a file
before the new broker wrote its own and declared the new broker dead. These tests
start a second broker and a second Redis on free ports in a temporary data directory,
so they never touch the instances the other tests use.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOCAL = ROOT / "deploy" / "local"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _run(script: str, command: str, env: dict[str, str], timeout: float) -> str:
    done = subprocess.run(
        ["bash", str(LOCAL / script), command],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"{script} {command} failed:\n{done.stderr[-3000:]}"
    return done.stderr


def _pid_cmdline(pid_file: Path) -> str:
    pid = int(pid_file.read_text().strip())
    return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def infra_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("KAFKA_BOOTSTRAP_SERVERS", "REDIS_URL")}
    env["BATON_DATA_DIR"] = str(tmp_path / "data")
    return env


def test_kafka_starts_over_a_stale_pid_file(infra_env: dict[str, str]) -> None:
    port, cport = _free_port(), _free_port()
    env = {
        **infra_env,
        "BATON_KAFKA_PORT": str(port),
        "BATON_KAFKA_CONTROLLER_PORT": str(cport),
        "BATON_KAFKA_HEAP_OPTS": "-Xmx256m -Xms128m",
        "BATON_KAFKA_START_TIMEOUT": "120",
    }
    kdir = Path(env["BATON_DATA_DIR"]) / f"kafka-{port}"
    kdir.mkdir(parents=True)
    stale = _dead_pid()
    (kdir / "kafka.pid").write_text(f"{stale}\n")
    try:
        out = _run("kafka.sh", "start", env, timeout=180)
        assert "Kafka ready" in out
        pid_file = kdir / "kafka.pid"
        assert int(pid_file.read_text()) != stale
        assert "kafka.Kafka" in _pid_cmdline(pid_file)
        probe = subprocess.run(
            [sys.executable, str(LOCAL / "kafkaprobe.py"), f"127.0.0.1:{port}"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert probe.returncode == 0, probe.stderr
        assert "already running" in _run("kafka.sh", "start", env, timeout=60)
    finally:
        _run("kafka.sh", "stop", env, timeout=90)
    assert not _port_open(port)


def test_redis_starts_over_a_stale_pid_file(infra_env: dict[str, str]) -> None:
    port = _free_port()
    env = {**infra_env, "BATON_REDIS_PORT": str(port)}
    rdir = Path(env["BATON_DATA_DIR"]) / f"redis-{port}"
    rdir.mkdir(parents=True)
    stale = _dead_pid()
    (rdir / "redis.pid").write_text(f"{stale}\n")
    try:
        _run("redis.sh", "start", env, timeout=60)
        pid_file = rdir / "redis.pid"
        assert int(pid_file.read_text()) != stale
        assert "redis-server" in _pid_cmdline(pid_file)
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            sock.sendall(b"PING\r\n")
            assert sock.recv(64) == b"+PONG\r\n"
    finally:
        _run("redis.sh", "stop", env, timeout=60)
    assert not _port_open(port)
