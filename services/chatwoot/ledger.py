"""One marker per (packet, step) in Redis, so a redelivered packet never repeats a step.

A step is claimed before its request (``pending``, with a lease) and marked ``done`` after;
a failed step releases its claim so a later delivery may try again. A claim whose lease ran
out (the process died mid-request) may be taken over, by exactly one worker.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from shared.state.base import StateStore, session_key

NAMESPACE = "chatwoot"
DONE = b"done"


class Held(StrEnum):
    DONE = "duplicate"
    BUSY = "in_flight"


@dataclass(frozen=True, slots=True)
class Claim:
    key: str
    field: str
    value: bytes


class Ledger:
    """Claim, complete and release steps on the session's hash in the state store."""

    def __init__(
        self,
        store: StateStore,
        *,
        ttl_seconds: int,
        lease_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._ttl = ttl_seconds
        self._lease = lease_seconds
        self._clock = clock

    def key(self, tenant_id: str, session_id: str) -> str:
        return session_key(tenant_id, session_id, NAMESPACE)

    async def begin(self, key: str, field: str) -> Claim | Held:
        """Claim a step, or say it is done or being done elsewhere."""
        value = f"pending:{uuid.uuid4().hex}:{self._clock() + self._lease:.3f}".encode()
        won, held = await self._store.claim(key, field, value, ttl_seconds=self._ttl)
        if won:
            return Claim(key, field, value)
        if held == DONE:
            return Held.DONE
        if _expired(held, self._clock()):
            # Only the worker that records this exact stale value may clear it.
            took, _ = await self._store.claim(
                key, _tomb(field, held), b"expired", ttl_seconds=self._ttl, clear=field
            )
            if took:
                won, _ = await self._store.claim(key, field, value, ttl_seconds=self._ttl)
                if won:
                    return Claim(key, field, value)
        return Held.BUSY

    async def done(self, claim: Claim) -> None:
        await self._store.put(claim.key, {claim.field: DONE}, ttl_seconds=self._ttl)

    async def release(self, claim: Claim, error: str) -> None:
        """Give the step back after a failure, so a redelivery tries it again."""
        await self._store.claim(
            claim.key,
            _tomb(claim.field, claim.value),
            error.encode()[:500],
            ttl_seconds=self._ttl,
            clear=claim.field,
        )

    async def get(self, key: str, field: str) -> bytes | None:
        return (await self._store.read(key)).get(field)

    async def put(self, key: str, field: str, value: bytes) -> None:
        await self._store.put(key, {field: value}, ttl_seconds=self._ttl)


def _tomb(field: str, value: bytes) -> str:
    return f"{field}~{value.decode(errors='replace')}"


def _expired(held: bytes, now: float) -> bool:
    if not held.startswith(b"pending:"):
        return False
    try:
        return float(held.rsplit(b":", 1)[1]) < now
    except ValueError:
        return True
