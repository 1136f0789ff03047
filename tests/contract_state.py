"""Behaviour every state store must have; run on the in-memory double and on real Redis."""

from __future__ import annotations

import uuid

from shared.state.base import QueueMove, StateStore, Write


async def first_write_wins_and_snapshot_follows(store: StateStore) -> None:
    key = f"test:{uuid.uuid4().hex}"
    a, b, c = await store.apply(
        [
            Write(key, {"t:1": b"one"}),
            Write(key, {"t:1": b"changed", "t:2": b"two"}),
            Write(key, {"t:1": b"three"}, only_new=False),
        ],
        ttl_seconds=60,
    )
    assert (a.changed, a.fields) == (1, {"t:1": b"one"})
    assert (b.changed, b.fields) == (1, {"t:1": b"one", "t:2": b"two"})
    assert c.fields["t:1"] == b"three"
    assert c.changed == 0  # an overwrite adds no field
    assert await store.read(key) == {"t:1": b"three", "t:2": b"two"}


async def claim_is_won_once(store: StateStore) -> None:
    key = f"test:{uuid.uuid4().hex}"
    won, held = await store.claim(key, "h:1", b"first", ttl_seconds=60)
    assert (won, held) == (True, b"first")
    won, held = await store.claim(key, "h:1", b"second", ttl_seconds=60)
    assert (won, held) == (False, b"first")


async def due_queue_hands_each_member_to_one_taker(store: StateStore) -> None:
    q = f"test:q:{uuid.uuid4().hex}"
    await store.schedule(q, "late", 200.0)
    await store.schedule(q, "early", 100.0)
    await store.schedule(q, "early", 300.0)  # already queued: keeps its first due time
    assert await store.due(q, 150.0, limit=10) == ["early"]
    assert await store.due(q, 250.0, limit=10) == ["early", "late"]
    assert await store.take(q, "early") is True
    assert await store.take(q, "early") is False
    assert await store.due(q, 1000.0, limit=10) == ["late"]


async def values_and_hashes_round_trip(store: StateStore) -> None:
    k = f"test:v:{uuid.uuid4().hex}"
    assert await store.get(k) is None
    await store.set(k, b"v", ttl_seconds=60)
    assert await store.get(k) == b"v"
    await store.put(k + ":h", {"s1": b"x"}, ttl_seconds=60)
    await store.put(k + ":h", {"s1": b"y"}, ttl_seconds=60)
    assert await store.read(k + ":h") == {"s1": b"y"}
    assert await store.ping()


CONTRACT = (
    first_write_wins_and_snapshot_follows,
    claim_is_won_once,
    due_queue_hands_each_member_to_one_taker,
    values_and_hashes_round_trip,
)


async def snapshot_only_when_wanted_fields_exist(store: StateStore) -> None:
    key = f"test:{uuid.uuid4().hex}"
    want = ("t:1", "i:1")
    (a,) = await store.apply([Write(key, {"t:1": b"x"}, want_all=want)], ttl_seconds=60)
    assert (a.changed, a.fields) == (1, {})
    (b,) = await store.apply([Write(key, {"i:1": b"y"}, want_all=want)], ttl_seconds=60)
    assert b.fields == {"t:1": b"x", "i:1": b"y"}


async def claim_can_clear_a_flag(store: StateStore) -> None:
    key = f"test:{uuid.uuid4().hex}"
    await store.apply([Write(key, {"open": b"1"})], ttl_seconds=60)
    won, _ = await store.claim(key, "h:1", b"p", ttl_seconds=60, clear="open")
    assert won
    assert await store.read(key) == {"h:1": b"p"}
    await store.apply([Write(key, {"open": b"1"})], ttl_seconds=60)
    won, _ = await store.claim(key, "h:1", b"q", ttl_seconds=60, clear="open")
    assert not won
    assert (await store.read(key))["open"] == b"1", "a lost claim clears nothing"


CONTRACT = (*CONTRACT, snapshot_only_when_wanted_fields_exist, claim_can_clear_a_flag)


async def batched_reads_answer_in_order(store: StateStore) -> None:
    k = f"test:m:{uuid.uuid4().hex}"
    await store.set(k + ":a", b"A", ttl_seconds=60)
    await store.set(k + ":c", b"C", ttl_seconds=60)
    assert await store.get_many([k + ":c", k + ":b", k + ":a"]) == [b"C", None, b"A"]
    assert await store.get_many([]) == []
    await store.put(k + ":h1", {"x": b"1"}, ttl_seconds=60)
    assert await store.read_many([k + ":h2", k + ":h1"]) == [{}, {"x": b"1"}]


async def any_bytes_survive_a_batch(store: StateStore) -> None:
    """Values go to Redis packed in one argument: every byte and length must come back."""
    key = f"test:{uuid.uuid4().hex}"
    values = {
        "bin": bytes(range(256)),
        "empty": b"",
        "utf8": "über 🙂 \u0000".encode(),
        "long": b"x" * 70_000,
    }
    writes = [Write(key, {f: v}, only_new=False) for f, v in values.items()]
    writes += [Write(f"{key}:{i}", {"n": str(i).encode()}) for i in range(300)]  # > one chunk
    snaps = await store.apply(writes, ttl_seconds=60)
    assert len(snaps) == len(writes)
    assert snaps[len(values) - 1].fields == values
    assert snaps[-1].fields == {"n": b"299"}
    assert await store.read(key) == values


async def the_winner_moves_the_queues_in_the_same_step(store: StateStore) -> None:
    key, q = f"test:{uuid.uuid4().hex}", f"test:q:{uuid.uuid4().hex}"
    await store.schedule(q + ":pending", "m", 5.0)
    move = QueueMove("m", schedule=q + ":outbox", due_at=50.0, unschedule=q + ":pending")
    won, _ = await store.claim(key, "h:1", b"p", ttl_seconds=60, then=move)
    assert won
    assert await store.due(q + ":outbox", 100.0, limit=10) == ["m"]
    assert await store.due(q + ":outbox", 10.0, limit=10) == [], "due at the time given"
    assert await store.due(q + ":pending", 100.0, limit=10) == []
    await store.take(q + ":outbox", "m")
    await store.schedule(q + ":pending", "m", 5.0)
    won, _ = await store.claim(key, "h:1", b"again", ttl_seconds=60, then=move)
    assert not won
    assert await store.due(q + ":outbox", 100.0, limit=10) == [], "a lost claim moves nothing"
    assert await store.due(q + ":pending", 100.0, limit=10) == ["m"]


CONTRACT = (
    *CONTRACT,
    batched_reads_answer_in_order,
    any_bytes_survive_a_batch,
    the_winner_moves_the_queues_in_the_same_step,
)
