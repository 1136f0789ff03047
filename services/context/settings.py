"""Context-assembly service settings (env prefix ``BATON_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from shared.config import ServiceSettings


class ContextSettings(ServiceSettings):
    service_name: str = "context"
    metrics_port: int = 9104
    packet_max_wait_seconds: float = Field(default=2.0, gt=0)
    crm_url: str | None = None
    crm_token: str | None = None
    crm_timeout_seconds: float = Field(default=0.3, gt=0)
    crm_export: Path | None = None
    crm_tenant: str = "demo"
    policy_dir: Path | None = None
