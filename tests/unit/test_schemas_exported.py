"""The JSON Schema files platforms validate against match the pydantic models."""

from __future__ import annotations

import json
from pathlib import Path

from shared.schemas.export import export_schemas

COMMITTED = Path(__file__).resolve().parents[2] / "shared" / "schemas" / "json"


def test_committed_json_schemas_are_current(tmp_path: Path) -> None:
    fresh = {p.name: json.loads(p.read_text()) for p in export_schemas(tmp_path)}
    committed = {p.name: json.loads(p.read_text()) for p in COMMITTED.glob("*.schema.json")}
    assert fresh == committed, "run `make schemas` and commit shared/schemas/json"
