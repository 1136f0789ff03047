"""Number a session's turns 1, 2, 3... the way Baton needs, since platforms do not.

Each number is bound to the platform message it was first given to (``message_key``, the
turn's derived ``event_id``): a redelivered webhook gets the same number back, a new
message the next one. Events that point at a turn rather than being one (a hand-back, a
resolution, an end) get the session's current number, pinned the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import redis.asyncio as aioredis

from shared.schemas.envelope import Envelope
from shared.schemas.events import (
    ConversationTurn,
    SessionEnded,
    SessionHandedBack,
    SessionResolved,
)
from shared.state.base import session_key

NAMESPACE = "seq"
# Hash field holding the session's counter; message keys are UUIDs, so never '#'-prefixed.
COUNTER = "#n"


class Sequencer(Protocol):
    """Per-session turn numbers, idempotent per platform message."""

    async def next_seq(self, tenant_id: str, session_id: str, message_key: str) -> int:
        """Return the message's number, giving it the session's next one the first time."""
        ...

    async def last_seq(self, tenant_id: str, session_id: str, message_key: str) -> int:
        """Return the number current when this key was first seen (0 before any turn)."""
        ...


def _check(message_key: str) -> None:
    if not message_key or message_key.startswith("#"):
        raise ValueError(f"message key {message_key!r} is empty or starts with '#'")


class MemorySequencer:
    """Sequencer in a dict, for tests and single-process runs."""

    def __init__(self) -> None:
        self._sessions: dict[tuple[str, str], dict[str, int]] = {}

    async def next_seq(self, tenant_id: str, session_id: str, message_key: str) -> int:
        return self._assign(tenant_id, session_id, message_key, advance=True)

    async def last_seq(self, tenant_id: str, session_id: str, message_key: str) -> int:
        return self._assign(tenant_id, session_id, message_key, advance=False)

    def _assign(self, tenant_id: str, session_id: str, key: str, *, advance: bool) -> int:
        _check(key)
        seen = self._sessions.setdefault((tenant_id, session_id), {COUNTER: 0})
        if key not in seen:
            if advance:
                seen[COUNTER] += 1
            seen[key] = seen[COUNTER]
        return seen[key]


# Atomic on the server: a message key already numbered keeps its number; otherwise it is
# bound to the counter, advanced first for a turn. KEYS[1] = the session's hash;
# ARGV = message key, '1' to advance, TTL seconds (refreshed on every call).
_ASSIGN = """
local seen = redis.call('HGET', KEYS[1], ARGV[1])
if not seen then
  if ARGV[2] == '1' then
    seen = redis.call('HINCRBY', KEYS[1], '#n', 1)
  else
    seen = tonumber(redis.call('HGET', KEYS[1], '#n') or '0')
  end
  redis.call('HSETNX', KEYS[1], ARGV[1], seen)
end
redis.call('EXPIRE', KEYS[1], ARGV[3])
return tonumber(seen)
"""


class RedisSequencer:
    """Sequencer on Redis: one hash per session, ``baton:{tenant:session}:seq``."""

    def __init__(self, client: aioredis.Redis, *, ttl_seconds: int) -> None:
        self._r = client
        self._ttl = ttl_seconds
        self._assign = client.register_script(_ASSIGN)

    async def next_seq(self, tenant_id: str, session_id: str, message_key: str) -> int:
        return await self._call(tenant_id, session_id, message_key, advance=True)

    async def last_seq(self, tenant_id: str, session_id: str, message_key: str) -> int:
        return await self._call(tenant_id, session_id, message_key, advance=False)

    async def _call(self, tenant_id: str, session_id: str, key: str, *, advance: bool) -> int:
        _check(key)
        hash_key = session_key(tenant_id, session_id, NAMESPACE)
        result = await self._assign(keys=[hash_key], args=[key, "1" if advance else "0", self._ttl])
        return int(result)


async def sequence(events: Sequence[Envelope], sequencer: Sequencer) -> list[Envelope]:
    """Give each turn its number and point hand-backs, resolutions and ends at the last one.

    Session starts keep seq 0. Run this on ``Adapter.normalize``'s output before publishing.
    """
    out: list[Envelope] = []
    for event in events:
        if isinstance(event, ConversationTurn):
            seq = await sequencer.next_seq(event.tenant_id, event.session_id, event.event_id)
        elif isinstance(event, SessionHandedBack | SessionResolved | SessionEnded):
            seq = await sequencer.last_seq(event.tenant_id, event.session_id, event.event_id)
        else:
            out.append(event)
            continue
        out.append(event.model_copy(update={"seq": seq}))
    return out
