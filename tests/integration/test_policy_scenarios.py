"""Table-driven scenarios from the research, decided by the shipped models and default policy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from services.replay.runner import Outcome, replay
from services.traffic.conversations import RecordedConversation
from shared.policy.loader import load_policy

ROWS = [
    json.loads(line)
    for line in (Path(__file__).parents[1] / "data" / "scenarios.jsonl").read_text().splitlines()
    if line.strip()
]


@pytest.fixture(scope="module")
async def outcomes() -> dict[str, Outcome]:
    conversations = [RecordedConversation.model_validate(r) for r in ROWS]
    return {o.conversation_id: o for o in await replay(conversations, load_policy())}


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_scenario(row: dict[str, Any], outcomes: dict[str, Outcome]) -> None:
    got, want = outcomes[row["id"]], row["expect"]
    if "action" in want:
        assert got.action == want["action"], got
    if "reason" in want:
        assert want["reason"] in got.reasons, got
    if "absent" in want:
        assert want["absent"] not in got.reasons, got
    if "queue" in want:
        assert got.queue == want["queue"], got
    if "priority" in want:
        assert got.priority == want["priority"], got
