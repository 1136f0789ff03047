"""The state-store interface: idempotent, atomic updates of per-session hashes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol


def session_key(tenant_id: str, session_id: str, namespace: str) -> str:
    """Return the hash key of one service's view of a session (hash-tagged for Redis Cluster)."""
    return f"baton:{{{tenant_id}:{session_id}}}:{namespace}"


@dataclass(slots=True)  # made per message: a frozen one's __init__ costs five times as much
class Write:
    """Fields to set on one session hash; ``only_new`` keeps the first value ever written.

    ``want_all`` names fields that must all be present for the snapshot to be returned;
    None returns it always. Most writes change nothing a handler must act on, and not
    shipping the whole hash back for them is most of the store's cost.
    """

    key: str
    fields: Mapping[str, bytes]
    only_new: bool = True
    want_all: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class QueueMove:
    """Put ``member`` on the ``schedule`` queue (due at ``due_at``) and off ``unschedule``."""

    member: str
    schedule: str
    due_at: float
    unschedule: str


@dataclass(slots=True)  # made per message: a frozen one's __init__ costs five times as much
class Snapshot:
    """A session hash right after a write (empty unless wanted) and how many fields it added."""

    changed: int
    fields: dict[str, bytes] = field(default_factory=dict)


class StateStore(Protocol):
    async def apply(self, writes: Sequence[Write], *, ttl_seconds: int) -> list[Snapshot]:
        """Apply each write atomically, in order, and return the hash after each one."""

    async def read(self, key: str) -> dict[str, bytes]: ...

    async def read_many(self, keys: Sequence[str]) -> list[dict[str, bytes]]:
        """Several hashes in one round trip, in the order asked."""

    async def claim(
        self,
        key: str,
        field: str,
        value: bytes,
        *,
        ttl_seconds: int,
        clear: str | None = None,
        then: QueueMove | None = None,
    ) -> tuple[bool, bytes]:
        """Set ``field`` if absent; say if we set it, and its value.

        The winner also deletes ``clear`` and applies ``then``, in the same atomic step, so
        no crash can leave a claim without its follow-up (a packet claimed, never sent).
        """

    async def put(self, key: str, mapping: Mapping[str, bytes], *, ttl_seconds: int) -> None: ...

    async def schedule(self, queue: str, member: str, due_at: float) -> None:
        """Add ``member`` to a due-time queue unless it is already there."""

    async def due(self, queue: str, now: float, *, limit: int) -> list[str]: ...

    async def take(self, queue: str, member: str) -> bool:
        """Remove ``member``; True for exactly one caller, so one worker acts on it."""

    async def get(self, key: str) -> bytes | None: ...

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """Several values in one round trip, in the order asked."""

    async def set(self, key: str, value: bytes, *, ttl_seconds: int | None = None) -> None: ...

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...
