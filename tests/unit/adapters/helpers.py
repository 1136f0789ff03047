"""Shared bits of the adapter tests: the published samples and small event filters."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from services.gateway.adapters.base import Adapter
from shared.schemas.envelope import Envelope

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = ROOT.parent / "shared" / "payloads"
TENANT = "acme"

E = TypeVar("E", bound=Envelope)


def sample(folder: str, name: str) -> Any:
    """Return one published sample payload, decoded."""
    return json.loads((SAMPLES / folder / name).read_text(encoding="utf-8"))


def run(adapter: Adapter, payload: Any) -> list[Envelope]:
    """Normalize a payload for the test tenant with no headers."""
    return adapter.normalize(payload, tenant_id=TENANT, headers={})


def only(events: Sequence[Envelope], kind: type[E]) -> list[E]:
    """Return the events of one class."""
    return [e for e in events if isinstance(e, kind)]
