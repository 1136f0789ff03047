"""The benchmark's traffic: sessions stay in order, and paced handoffs spread over the phase."""

from __future__ import annotations

import itertools
import random
from collections import Counter

import pytest

from services.bench.driver import staggered
from services.bench.traffic import conversation
from shared.schemas.events import ConversationTurn, Role


def _convs(n: int) -> list[list[ConversationTurn]]:
    rng = random.Random(3)
    return [
        conversation("t", f"s{i:03d}", customer_turns=4, escalate=i % 5 == 0, rng=rng)
        for i in range(n)
    ]


def _customer_positions(ordered: list[ConversationTurn], seq: int) -> list[int]:
    customers = [t for t in ordered if t.role is Role.CUSTOMER]
    return [i for i, t in enumerate(customers) if t.seq == seq]


def test_every_turn_once_each_session_in_order_each_reply_after_its_turn() -> None:
    convs = _convs(60)
    for rate in (None, 40.0):
        ordered = staggered(convs, rate=rate, customer_turns=4, gap_s=1.0)
        assert sorted(t.event_id for t in ordered) == sorted(t.event_id for c in convs for t in c)
        by_session: dict[str, list[int]] = {}
        for t in ordered:
            by_session.setdefault(t.session_id, []).append(t.seq)
        assert all(seqs == sorted(seqs) for seqs in by_session.values())
        for before, after in itertools.pairwise(ordered):
            if after.role is Role.BOT:
                assert (before.session_id, before.seq) == (after.session_id, after.seq - 1)


def test_paced_last_turns_spread_over_the_phase_flat_out_they_come_last() -> None:
    convs = _convs(200)
    total = 200 * 4
    # 40 customer turns/s, 4 per conversation: 10 conversations start each second.
    paced = _customer_positions(staggered(convs, rate=40.0, customer_turns=4, gap_s=1.0), 7)
    assert paced[0] < total * 0.1  # the first conversations end within seconds
    gaps = [b - a for a, b in itertools.pairwise(paced)]
    assert max(gaps) <= 8  # and the rest keep ending, a few turns apart, to the end
    rounds = _customer_positions(staggered(convs, rate=None, customer_turns=4, gap_s=1.0), 7)
    assert rounds == list(range(total - 200, total))


def test_send_groups_keep_order_pair_replies_and_note_every_customer_turn() -> None:
    from services.bench.driver import _groups
    from shared.bus.base import Message

    convs = _convs(300)
    for rate in (None, 40.0):
        ordered = staggered(convs, rate=rate, customer_turns=4, gap_s=1.0)
        messages = [Message("in", t.key, t.event_id.encode()) for t in ordered]
        groups = _groups(messages, ordered, paced=rate is not None)
        assert [m for ms, _ in groups for m in ms] == messages  # nothing lost or reordered
        noted = [turn for _, customers in groups for turn in customers]
        assert noted == [(t.session_id, t.seq) for t in ordered if t.role is Role.CUSTOMER]
        if rate is None:
            assert max(len(ms) for ms, _ in groups) == 1000
        else:
            # Paced: each group is one customer turn and the bot's reply to it.
            assert all(len(customers) == 1 for _, customers in groups)
            assert all(len(ms) <= 2 for ms, _ in groups)


def test_paced_sends_linger_like_a_default_producer_and_keep_each_turns_due_time() -> None:
    from services.bench.driver import _groups, lingered
    from shared.bus.base import Message

    ordered = staggered(_convs(100), rate=40.0, customer_turns=4, gap_s=1.0)
    messages = [Message("in", t.key, t.event_id.encode()) for t in ordered]
    groups = _groups(messages, ordered, paced=True)
    rate, linger = 1000.0, 0.005
    rounds = lingered(groups, rate=rate, linger_s=linger)
    assert [m for r in rounds for m in r.messages] == messages  # nothing lost or reordered
    customers = [(t.session_id, t.seq) for t in ordered if t.role is Role.CUSTOMER]
    due = {turn: d for r in rounds for turn, d in r.due_s.items()}
    assert list(due) == customers
    assert all(due[turn] == i / rate for i, turn in enumerate(customers))
    for r in rounds:
        # Every turn waits at most the linger, and none goes before it falls due.
        assert all(r.send_s - linger - 1e-9 <= d <= r.send_s for d in r.due_s.values())
        assert min(r.due_s.values()) == pytest.approx(r.send_s - linger)
    # At 1,000 turns/s a 5 ms linger gathers about six turns (and their replies) a request.
    assert len(rounds) == -(-len(customers) // 6)
    assert len(lingered(groups, rate=rate, linger_s=0.0)) == len(customers)


def test_paced_phases_time_only_the_steady_state_where_every_stage_is_in_the_mix() -> None:
    from services.bench.driver import steady, steady_window

    # 40 customer turns/s, 4 per conversation: 10 start each second, so 30 more for the ramps.
    total, window = steady_window(40.0, conversations=50, customer_turns=4, gap_s=1.0)
    assert (total, window) == (80, 10)
    convs = _convs(total)
    timed = steady(convs, window=window, customer_turns=4)
    assert len(timed) == 50 * 4
    sent = [
        (t.session_id, t.seq)
        for t in staggered(convs, rate=40.0, customer_turns=4, gap_s=1.0)
        if t.role is Role.CUSTOMER
    ]
    marks = [turn in timed for turn in sent]
    first = marks.index(True)
    # One unbroken stretch, after the ramp up and before the ramp down...
    assert marks[first : first + len(timed)] == [True] * len(timed)
    assert first > 0 and first + len(timed) < len(sent)
    # ...in which every second (40 turns) holds 10 turns of each of the four stages, last
    # turns (the escalating ones) included: no burst of handoffs at either end.
    stretch = sent[first : first + len(timed)]
    for i in range(0, len(stretch), 40):
        stages = Counter(seq for _, seq in stretch[i : i + 40])
        assert sorted(stages.values()) == [10, 10, 10, 10]
    # The ramps are what is left out: their mix is all first turns, then all last turns.
    assert {seq for _, seq in sent[:10]} == {1}
    assert {seq for _, seq in sent[-10:]} == {7}
    # Flat out there is no ramp: every turn is timed.
    assert steady_window(None, conversations=50, customer_turns=4, gap_s=1.0) == (50, 50)
    assert len(steady(_convs(50), window=50, customer_turns=4)) == 200
