"""The local infrastructure scripts start real servers over state left by dead ones.

A machine restored from a snapshot, or rebooted after a crash, keeps the pid files of
servers that no longer run. CI once failed because ``kafka.sh start`` read such a file
before the new broker wrote its own and declared the new broker dead. These tests
start a second broker and a second Redis on free ports in a temporary data directory,
so they never touch the instances the other tests use.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from tests.local_servers import LOCAL, LocalServer, own_kafka, own_redis, port_answers


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _pid_cmdline(pid_file: Path) -> str:
    pid = int(pid_file.read_text().strip())
    return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()


def _with_stale_pid_file(server: LocalServer, folder: str, name: str) -> tuple[Path, int]:
    directory = Path(server.env["BATON_DATA_DIR"]) / f"{folder}-{server.port}"
    directory.mkdir(parents=True)
    stale = _dead_pid()
    (directory / name).write_text(f"{stale}\n")
    return directory / name, stale


def test_kafka_starts_over_a_stale_pid_file_with_a_dash_leading_cluster_id(tmp_path: Path) -> None:
    kafka = own_kafka(tmp_path)
    pid_file, stale = _with_stale_pid_file(kafka, "kafka", "kafka.pid")
    # Kafka ids are URL-safe base64: one in 64 starts with '-', and CI once failed when the
    # storage tool took such an id for an option. The script keeps an id it made before.
    cluster_id = "-snT6EbtRR63hbR-x6l-Gg"
    (pid_file.parent / "cluster.id").write_text(cluster_id + "\n")
    try:
        assert "Kafka ready" in kafka.run("start")
        meta = (pid_file.parent / "data" / "meta.properties").read_text()
        assert f"cluster.id={cluster_id}" in meta
        assert int(pid_file.read_text()) != stale
        assert "kafka.Kafka" in _pid_cmdline(pid_file)
        probe = subprocess.run(
            [sys.executable, str(LOCAL / "kafkaprobe.py"), f"127.0.0.1:{kafka.port}"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert probe.returncode == 0, probe.stderr
        assert "already running" in kafka.run("start")
    finally:
        kafka.run("stop")
    assert not port_answers(kafka.port)


def test_redis_starts_over_a_stale_pid_file(tmp_path: Path) -> None:
    redis = own_redis(tmp_path)
    pid_file, stale = _with_stale_pid_file(redis, "redis", "redis.pid")
    try:
        redis.run("start")
        assert int(pid_file.read_text()) != stale
        assert "redis-server" in _pid_cmdline(pid_file)
        with socket.create_connection(("127.0.0.1", redis.port), timeout=2) as sock:
            sock.sendall(b"PING\r\n")
            assert sock.recv(64) == b"+PONG\r\n"
    finally:
        redis.run("stop")
    assert not port_answers(redis.port)
