"""What every Sequencer must do; run on the in-memory one and on real Redis."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

from services.gateway.adapters.sequencing import Sequencer


def _session() -> tuple[str, str]:
    return "acme", f"seq-{uuid.uuid4().hex[:10]}"


async def numbers_turns_one_two_three(seqr: Sequencer) -> None:
    tenant, session = _session()
    got = [await seqr.next_seq(tenant, session, f"m{i}") for i in range(3)]
    assert got == [1, 2, 3]


async def same_message_keeps_its_number(seqr: Sequencer) -> None:
    tenant, session = _session()
    assert await seqr.next_seq(tenant, session, "a") == 1
    assert await seqr.next_seq(tenant, session, "b") == 2
    assert await seqr.next_seq(tenant, session, "a") == 1
    assert await seqr.next_seq(tenant, session, "c") == 3


async def sessions_and_tenants_count_apart(seqr: Sequencer) -> None:
    tenant, session = _session()
    assert await seqr.next_seq(tenant, session, "a") == 1
    assert await seqr.next_seq(tenant, session + "-2", "a") == 1
    assert await seqr.next_seq("globex", session, "a") == 1
    assert await seqr.next_seq(tenant, session, "b") == 2


async def last_seq_pins_the_current_number(seqr: Sequencer) -> None:
    tenant, session = _session()
    assert await seqr.last_seq(tenant, session, "start") == 0
    await seqr.next_seq(tenant, session, "a")
    await seqr.next_seq(tenant, session, "b")
    assert await seqr.last_seq(tenant, session, "handback") == 2
    assert await seqr.next_seq(tenant, session, "c") == 3
    assert await seqr.last_seq(tenant, session, "handback") == 2  # redelivered: same answer
    assert await seqr.last_seq(tenant, session, "start") == 0


async def concurrent_deliveries_never_share_a_number(seqr: Sequencer) -> None:
    tenant, session = _session()
    keys = [f"m{i}" for i in range(40)]
    first = await asyncio.gather(*(seqr.next_seq(tenant, session, k) for k in keys))
    again = await asyncio.gather(*(seqr.next_seq(tenant, session, k) for k in reversed(keys)))
    assert sorted(first) == list(range(1, 41))
    assert list(reversed(again)) == first


CONTRACT: list[Callable[[Sequencer], Awaitable[None]]] = [
    numbers_turns_one_two_three,
    same_message_keeps_its_number,
    sessions_and_tenants_count_apart,
    last_seq_pins_the_current_number,
    concurrent_deliveries_never_share_a_number,
]
