#!/usr/bin/env python3
"""Check that a Kafka broker answers a real Kafka API request (stdlib only).

Usage: kafkaprobe.py HOST:PORT[,HOST:PORT...] [--timeout SECONDS]

Sends an ApiVersions (api key 18, v0) request to each address in turn and
exits 0 as soon as one broker answers with error_code 0, printing
"ok HOST:PORT (N apis)". Exits 1 if none answers. Used by kafka.sh; it avoids
starting a JVM just to ask whether the broker is up.
"""

from __future__ import annotations

import socket
import struct
import sys

API_VERSIONS = 18
CORRELATION_ID = 0x0BA7


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed by broker")
        buf += chunk
    return buf


def probe(host: str, port: int, timeout: float) -> int:
    """Return the number of APIs the broker advertises; raise on failure."""
    client_id = b"baton-probe"
    # Request header v1: api_key, api_version, correlation_id, client_id.
    # ApiVersions v0 has an empty body and is accepted by every broker since 0.10.
    body = struct.pack(">hhih", API_VERSIONS, 0, CORRELATION_ID, len(client_id)) + client_id
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        sock.sendall(struct.pack(">i", len(body)) + body)
        (size,) = struct.unpack(">i", _recv_exact(sock, 4))
        if size < 6 or size > 1 << 20:
            raise ValueError(f"implausible response size {size}")
        resp = _recv_exact(sock, size)
    correlation_id, error_code = struct.unpack(">ih", resp[:6])
    if correlation_id != CORRELATION_ID:
        raise ValueError(f"correlation id mismatch ({correlation_id})")
    if error_code != 0:
        raise ValueError(f"ApiVersions error_code {error_code}")
    (count,) = struct.unpack(">i", resp[6:10])
    return int(count)


def parse_servers(spec: str) -> list[tuple[str, int]]:
    out = []
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        if "://" in item:  # PLAINTEXT://host:port
            item = item.split("://", 1)[1]
        host, _, port = item.rpartition(":")
        host = host.strip("[]") or "127.0.0.1"
        out.append((host, int(port or 9092)))
    return out


def main(argv: list[str]) -> int:
    timeout = 2.0
    args = list(argv)
    if "--timeout" in args:
        i = args.index("--timeout")
        timeout = float(args[i + 1])
        del args[i : i + 2]
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    last_err = "no address given"
    for host, port in parse_servers(args[0]):
        try:
            count = probe(host, port, timeout)
        except (OSError, ValueError, struct.error) as exc:
            last_err = f"{host}:{port}: {exc}"
            continue
        print(f"ok {host}:{port} ({count} apis)")
        return 0
    print(f"no Kafka broker answered: {last_err}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
