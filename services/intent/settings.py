"""Intent service settings (env prefix ``BATON_``)."""

from __future__ import annotations

from pathlib import Path

from shared.config import ServiceSettings


class IntentSettings(ServiceSettings):
    service_name: str = "intent"
    metrics_port: int = 9101
    intent_model_dir: Path | None = None
    intent_catalog: Path | None = None
