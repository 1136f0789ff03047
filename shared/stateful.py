"""Helpers for services that fold events into per-session Redis hashes."""

from __future__ import annotations

from typing import Any

import orjson


def dumps(value: Any) -> bytes:
    """Serialise a small state value compactly."""
    return orjson.dumps(value)


def loads(raw: bytes | None) -> Any:
    """Parse a state value written by ``dumps``; None stays None."""
    return None if raw is None else orjson.loads(raw)


def seqs_with(fields: dict[str, bytes], prefix: str) -> list[int]:
    """Return the sequence numbers of fields named ``prefix:<seq>``, ascending."""
    n = len(prefix) + 1
    return sorted(int(f[n:]) for f in fields if f.startswith(prefix + ":"))
