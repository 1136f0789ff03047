"""Turn numbering on the in-memory sequencer, and sequence() over adapter output."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from services.gateway.adapters import ADAPTERS, MemorySequencer, sequence
from services.gateway.adapters.sequencing import Sequencer
from shared.schemas.events import ConversationTurn, SessionHandedBack, SessionStarted
from tests.unit.adapters.helpers import run
from tests.unit.adapters.sequencer_contract import CONTRACT


@pytest.mark.parametrize("check", CONTRACT, ids=lambda f: f.__name__)
async def test_memory_sequencer(check: Callable[[Sequencer], Awaitable[None]]) -> None:
    await check(MemorySequencer())


async def test_reserved_and_empty_keys_are_refused() -> None:
    seqr = MemorySequencer()
    with pytest.raises(ValueError, match="starts with '#'"):
        await seqr.next_seq("acme", "s", "#n")
    with pytest.raises(ValueError, match="empty"):
        await seqr.last_seq("acme", "s", "")


def _chatwoot(mid: int, kind: str, text: str) -> dict[str, object]:
    return {
        "event": "message_created",
        "id": mid,
        "content": text,
        "message_type": kind,
        "private": False,
        "sender": {"id": 42, "type": "contact"} if kind == "incoming" else None,
        "conversation": {"id": 7, "status": "pending"},
        "account": {"id": 2},
    }


async def test_sequence_numbers_a_session_and_is_idempotent_per_message() -> None:
    adapter, seqr = ADAPTERS["chatwoot"], MemorySequencer()
    start = run(adapter, {"event": "conversation_created", "id": 7, "account_id": 2})
    hi = run(adapter, _chatwoot(1, "incoming", "hi"))
    bot = run(adapter, _chatwoot(2, "outgoing", "hello, how can I help?"))
    back = run(
        adapter,
        {
            "event": "conversation_status_changed",
            "id": 7,
            "account_id": 2,
            "status": "pending",
            "updated_at": 1714557600.5,
            "changed_attributes": [{"status": {"previous_value": "open"}}],
        },
    )
    human = run(adapter, _chatwoot(3, "incoming", "I want a human"))

    numbered = [await sequence(batch, seqr) for batch in (start, hi, bot, back, human)]
    [started], [t1], [t2], [handed_back], [t3] = numbered
    assert isinstance(started, SessionStarted) and started.seq == 0
    assert all(isinstance(t, ConversationTurn) for t in (t1, t2, t3))
    assert (t1.seq, t2.seq, t3.seq) == (1, 2, 3)
    assert isinstance(handed_back, SessionHandedBack) and handed_back.seq == 2

    # Redelivered webhooks come back with the same ids and the same numbers.
    again = await sequence(run(adapter, _chatwoot(2, "outgoing", "hello, how can I help?")), seqr)
    assert [(e.event_id, e.seq) for e in again] == [(t2.event_id, 2)]
    again = await sequence(back, seqr)
    assert again[0].seq == 2
