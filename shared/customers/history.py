"""Each customer's previous sessions, so agents and rules can see repeat contacts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from shared.schemas.events import PastSession
from shared.state.base import StateStore, Write

KEEP = 20


def key(tenant_id: str, customer_id: str) -> str:
    return f"baton:history:{tenant_id}:{customer_id}"


class SessionHistory:
    """Past sessions in a hash per customer, keyed by session id, so writes are idempotent."""

    def __init__(self, store: StateStore, *, ttl_seconds: int = 180 * 24 * 3600) -> None:
        self._store = store
        self._ttl = ttl_seconds

    async def record(
        self, tenant_id: str, customer_id: str, entry: PastSession, *, unless_known: bool = False
    ) -> None:
        """Keep ``entry``; with ``unless_known``, only if the session has no entry yet."""
        fields = {entry.session_id: entry.model_dump_json().encode()}
        if unless_known:
            await self._store.apply(
                [Write(key(tenant_id, customer_id), fields, want_all=("-",))],
                ttl_seconds=self._ttl,
            )
            return
        await self._store.put(key(tenant_id, customer_id), fields, ttl_seconds=self._ttl)

    async def recent(
        self, tenant_id: str, customer_id: str, *, exclude: str | None = None
    ) -> list[PastSession]:
        raw = await self._store.read(key(tenant_id, customer_id))
        return _newest(raw, exclude)

    async def recent_many(
        self, wanted: Sequence[tuple[str, str, str | None]]
    ) -> list[list[PastSession]]:
        """``recent`` for several (tenant, customer, excluded session), in one round trip."""
        raws = await self._store.read_many([key(t, c) for t, c, _ in wanted])
        return [_newest(raw, exclude) for raw, (_, _, exclude) in zip(raws, wanted, strict=True)]


def _newest(raw: dict[str, bytes], exclude: str | None) -> list[PastSession]:
    entries = [PastSession.model_validate_json(v) for k, v in raw.items() if k != exclude]
    return sorted(entries, key=lambda e: e.at, reverse=True)[:KEEP]


def is_repeat_contact(
    history: Sequence[PastSession], intents: Sequence[str], *, now: datetime, days: int = 14
) -> bool:
    """True when a recent earlier session was about one of the same issues."""
    wanted = {i for i in intents if i not in {"oos", "greeting_smalltalk", "human_request"}}
    horizon = now - timedelta(days=days)
    return any(h.at >= horizon and wanted.intersection(h.intents) for h in history)
