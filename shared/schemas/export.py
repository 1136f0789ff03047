"""Export one JSON Schema file per event, so platforms in any language can validate."""

from __future__ import annotations

import json
from pathlib import Path

from shared.schemas.events import ALL_EVENTS


def export_schemas(out: Path) -> list[Path]:
    """Write ``<event_type>.schema.json`` for every event and return the paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for model in ALL_EVENTS:
        schema = model.model_json_schema(mode="validation")
        event_type = model.model_fields["event_type"].default
        schema["$id"] = f"https://baton.dev/schemas/v1/{event_type}.schema.json"
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        path = out / f"{event_type}.schema.json"
        path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        written.append(path)
    return written
