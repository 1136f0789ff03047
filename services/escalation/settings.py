"""Escalation service settings (env prefix ``BATON_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from shared.config import ServiceSettings


class EscalationSettings(ServiceSettings):
    service_name: str = "escalation"
    metrics_port: int = 9103
    policy_dir: Path | None = Field(
        default=None, description="Directory of <tenant>.yaml policies (default.yaml for all)."
    )
    policy_refresh_seconds: float = Field(default=2.0, gt=0)
