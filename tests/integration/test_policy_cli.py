"""The policy and replay commands, end to end through the CLI (explain reads real Redis)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.cli.main import app
from services.escalation.session import DECISION_LOG
from shared.policy.loader import DEFAULT_POLICY
from shared.schemas.events import Action, EscalationDecided, Reason
from shared.state.base import Write, session_key
from shared.state.redis import RedisStateStore
from tests.conftest import Infra

pytestmark = pytest.mark.integration
SCENARIOS = Path(__file__).parents[1] / "data" / "scenarios.jsonl"


def test_policy_check_accepts_the_default_and_names_bad_lines(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(app, ["policy", "check", str(DEFAULT_POLICY)])
    assert ok.exit_code == 0
    assert "hash" in ok.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: x\ntriggers:\n  amount_threshold:\n    limit: -5\n")
    result = runner.invoke(app, ["policy", "check", str(bad)])
    assert result.exit_code == 1
    assert "line 4: triggers.amount_threshold.limit" in result.output


def test_replay_json_lines_and_compare(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["replay", "--file", str(SCENARIOS), "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in result.output.splitlines() if x.startswith("{")]
    assert len(lines) == len(SCENARIOS.read_text().splitlines())
    assert set(lines[0]) >= {
        "conversation_id",
        "escalated",
        "action",
        "reasons",
        "queue",
        "priority",
    }
    # A laxer policy: amounts up to 1,000 USD and disputes no longer sensitive.
    lax = tmp_path / "lax.yaml"
    lax.write_text(
        DEFAULT_POLICY.read_text()
        .replace("limit: 500", "limit: 1000")
        .replace('version: "2026.11-1"', 'version: "lax-1"')
        .replace("billing_dispute: {queue: billing_disputes, priority: 2}", "")
    )
    cmp = runner.invoke(
        app,
        [
            "replay",
            "--file",
            str(SCENARIOS),
            "--policy",
            str(DEFAULT_POLICY),
            "--compare",
            str(lax),
            "--json",
        ],
    )
    assert cmp.exit_code == 0, cmp.output
    report = json.loads(cmp.output.strip().splitlines()[-1])
    assert report["conversations"] == len(lines)
    assert report["reasons"]["amount_threshold"]["a"] > report["reasons"]["amount_threshold"].get(
        "b", 0
    )
    changed = {c["conversation_id"] for c in report["changed"]}
    assert "payment-dispute-750" in changed or report["reasons"]["amount_threshold"]["b"] == 0


def test_policy_explain_prints_a_live_sessions_decisions(
    infra: Infra, monkeypatch: pytest.MonkeyPatch
) -> None:
    asyncio.run(_store_decision(infra))
    monkeypatch.setenv("REDIS_URL", infra.redis_url)
    result = CliRunner().invoke(app, ["policy", "explain", "explain-me", "--tenant", "acme"])
    assert result.exit_code == 0, result.output
    assert "TRANSFER" in result.output
    assert "explicit_request" in result.output
    assert "near   misunderstood" in result.output
    assert "policy v9 #abc123" in result.output
    # A decision an older escalation service kept in the session's own hash still shows,
    # before the newer one.
    assert "turn   2" in result.output and "CONTINUE" in result.output
    assert result.output.index("turn   2") < result.output.index("turn   3")
    missing = CliRunner().invoke(app, ["policy", "explain", "nobody", "--tenant", "acme"])
    assert "no decisions recorded" in missing.output


async def _store_decision(infra: Infra) -> None:
    store = RedisStateStore.from_url(infra.redis_url)
    decision = EscalationDecided(
        tenant_id="acme",
        session_id="explain-me",
        seq=3,
        action=Action.TRANSFER,
        reasons=[Reason(code="explicit_request", detail="asked for a person", turns=[3])],
        near_misses=[Reason(code="misunderstood", detail="1 of 2 misunderstood turns")],
        queue="general",
        priority=3,
        sla_seconds=120,
        policy_version="v9",
        policy_hash="abc123",
    )
    earlier = decision.model_copy(update={"seq": 2, "action": Action.CONTINUE, "reasons": []})
    await store.apply(
        [
            Write(
                session_key("acme", "explain-me", DECISION_LOG),
                {"dec:3": decision.model_dump_json().encode()},
            ),
            Write(
                session_key("acme", "explain-me", "esc"),
                {"dec:2": earlier.model_dump_json().encode()},
            ),
        ],
        ttl_seconds=60,
    )
    await store.close()
