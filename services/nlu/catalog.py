"""Map intents to their escalation tier and specialist topic, declared as data in YAML."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

CATALOG_PATH = Path(__file__).parent / "data" / "catalog.yaml"

Tier = Literal["routine", "complex", "sensitive"]
Topic = Literal["fraud", "security", "billing_dispute", "legal", "health"]


class IntentInfo(BaseModel):
    """What the escalation policy needs to know about one intent."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tier: Tier
    topic: Topic | None = None


class _CatalogFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    default: IntentInfo = IntentInfo(tier="complex")
    intents: dict[str, IntentInfo] = Field(default_factory=dict)


class IntentCatalog:
    """Look up an intent's tier and topic; unknown intents are complex with no topic."""

    def __init__(
        self, intents: Mapping[str, IntentInfo], *, default: IntentInfo | None = None
    ) -> None:
        self._intents = dict(intents)
        self._default = default or IntentInfo(tier="complex")
        # Out-of-scope turns always need judgement, whatever the file says about defaults.
        self._intents.setdefault("oos", IntentInfo(tier="complex"))

    @property
    def intents(self) -> tuple[str, ...]:
        """Return the intents the catalog knows, sorted."""
        return tuple(sorted(self._intents))

    def info(self, intent: str) -> IntentInfo:
        """Return an intent's metadata, falling back to the default for unknown intents."""
        return self._intents.get(intent, self._default)

    def tier(self, intent: str) -> str:
        """Return the escalation tier: routine, complex or sensitive."""
        return self.info(intent).tier

    def topic(self, intent: str) -> str | None:
        """Return the specialist topic, or None when no specialist is needed."""
        return self.info(intent).topic


def load_catalog(path: Path | str | None = None) -> IntentCatalog:
    """Read and validate a catalog YAML file (the shipped one by default)."""
    with Path(path or CATALOG_PATH).open(encoding="utf-8") as handle:
        parsed = _CatalogFile.model_validate(yaml.safe_load(handle) or {})
    return IntentCatalog(parsed.intents, default=parsed.default)
