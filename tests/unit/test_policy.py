"""Policy files: validation with line numbers, hashing, reload with audit, compare."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from services.replay.compare import compare
from services.replay.runner import Outcome
from shared.policy.loader import PolicyError, load_policy, parse_policy
from shared.policy.store import PolicyStore

GOOD = "version: v1\ntriggers:\n  misunderstood:\n    turns: 3\n"


def test_shipped_default_is_valid_and_hashed() -> None:
    p = load_policy()
    assert p.policy.triggers.amount_threshold.limit == 500
    assert p.policy.sla_seconds["voice"] == 30
    assert len(p.content_hash) == 16


def test_errors_name_the_field_and_the_line() -> None:
    text = "version: v1\ntriggers:\n  misunderstood:\n    turns: zero\n  explicit_requests: {}\n"
    with pytest.raises(PolicyError) as info:
        parse_policy(text, source="acme.yaml")
    problems = info.value.problems
    assert any(p.startswith("line 4: triggers.misunderstood.turns") for p in problems)
    assert any(p.startswith("line 5: triggers.explicit_requests") for p in problems)


def test_broken_yaml_and_missing_version_are_refused() -> None:
    with pytest.raises(PolicyError, match="line 2"):
        parse_policy("version: v1\ntriggers: {a: [}\nsla_seconds: {}\n")
    with pytest.raises(PolicyError, match="version"):
        parse_policy("triggers: {}\n")


def test_hash_follows_content_not_formatting() -> None:
    a = parse_policy(GOOD)
    b = parse_policy("# comment\nversion: v1\ntriggers: {misunderstood: {turns: 3}}\n")
    c = parse_policy(GOOD.replace("3", "4"))
    assert a.content_hash == b.content_hash != c.content_hash


def test_store_reloads_changed_files_with_an_audit_record(tmp_path: Path) -> None:
    (tmp_path / "acme.yaml").write_text(GOOD)
    store = PolicyStore(tmp_path)
    assert store.for_tenant("acme").policy.triggers.misunderstood.turns == 3
    assert store.for_tenant("other").version == load_policy().version
    (tmp_path / "acme.yaml").write_text(GOOD.replace("v1", "v2").replace("3", "5"))
    os.utime(tmp_path / "acme.yaml", (time.time() + 5, time.time() + 5))
    (change,) = store.refresh()
    assert (change.tenant, change.old_version, change.new_version) == ("acme", "v1", "v2")
    assert "-    turns: 3" in change.diff and "+    turns: 5" in change.diff
    assert change.changed_by
    (tmp_path / "acme.yaml").write_text("version: v3\ntriggers: {misunderstood: {turns: -1}}\n")
    os.utime(tmp_path / "acme.yaml", (time.time() + 10, time.time() + 10))
    assert store.refresh() == []
    assert store.for_tenant("acme").version == "v2", "an invalid edit keeps the running policy"


def test_compare_reports_rates_reasons_and_changed_conversations() -> None:
    a = [
        Outcome("c1", True, "transfer", ["misunderstood"], "general", 3),
        Outcome("c2", False, "continue", [], None, None),
    ]
    b = [
        Outcome("c1", False, "continue", [], None, None),
        Outcome("c2", False, "continue", [], None, None),
    ]
    result = compare(a, b).as_json()
    assert result["escalation_rate"] == {"a": 0.5, "b": 0.0, "delta": -0.5}
    assert result["reasons"] == {"misunderstood": {"a": 1, "b": 0}}
    assert [c["conversation_id"] for c in result["changed"]] == ["c1"]


async def test_the_escalation_service_publishes_an_audit_event_when_a_policy_changes(
    tmp_path: Path,
) -> None:
    import asyncio
    import json

    from services.escalation.app import build_app
    from shared.bus.memory import MemoryBus
    from shared.state.memory import MemoryStateStore
    from tests.harness import escalation_deps

    (tmp_path / "acme.yaml").write_text(GOOD)
    store = MemoryStateStore()
    deps = escalation_deps(store, policies=PolicyStore(tmp_path))
    app = build_app(deps, refresh_seconds=0.05)
    bus = MemoryBus()
    publisher = bus.publisher(client_id="t")
    stop = asyncio.Event()
    task = asyncio.create_task(app.background[0](publisher, stop))
    (tmp_path / "acme.yaml").write_text(GOOD.replace("v1", "v2"))
    os.utime(tmp_path / "acme.yaml", (time.time() + 5, time.time() + 5))
    for _ in range(100):
        if bus.broker.records("baton.audit"):
            break
        await asyncio.sleep(0.02)
    stop.set()
    await task
    (record,) = bus.broker.records("baton.audit")
    audit = json.loads(record.value)
    assert (audit["event_type"], audit["tenant_id"], audit["new_version"]) == (
        "policy.changed",
        "acme",
        "v2",
    )
    assert audit["old_version"] == "v1" and "+version: v2" in audit["diff"]
    assert deps.policies.for_tenant("acme").version == "v2", "reloaded without a restart"


def test_no_progress_near_miss_needs_an_actual_repetition() -> None:
    from services.escalation.policy.triggers import no_progress
    from services.escalation.session import SessionView, TurnView

    def turn(seq: int, intent: str) -> TurnView:
        return TurnView(
            seq, "text", intent, 0.9, True, "routine", None, 0.0, "neutral", False, False, (), ()
        )

    policy = load_policy().policy
    one_each = SessionView(
        "t",
        "s",
        4,
        "chat",
        None,
        (turn(1, "order_status"), turn(3, "store_hours_faq")),
        bot_turns=((2, "Let me check."), (4, "We open at 9.")),
    )
    assert no_progress(one_each, policy).near_miss is None
    twice = SessionView(
        "t",
        "s",
        3,
        "chat",
        None,
        (turn(1, "order_status"), turn(3, "order_status")),
        bot_turns=((2, "Let me check."),),
    )
    near = no_progress(twice, policy).near_miss
    assert near is not None and near.evidence["same_intent"] == 2
