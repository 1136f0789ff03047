"""Desk gateway settings (env prefix ``BATON_``)."""

from __future__ import annotations

from pydantic import Field

from shared.config import ServiceSettings


class DeskSettings(ServiceSettings):
    service_name: str = "desk"
    desk_host: str = "127.0.0.1"
    desk_port: int = Field(default=8081, ge=0, le=65535)
    # Per-tenant signing secrets for agent tokens; JSON in the environment, e.g.
    # BATON_DESK_SECRETS='{"acme": "..."}'. The demo tenant's secret is for local runs only.
    desk_secrets: dict[str, str] = Field(
        default_factory=lambda: {"demo": "demo-only-secret-change-me-in-production-0123456789"}
    )
    desk_token_ttl_seconds: int = Field(default=12 * 3600, ge=60)
    sla_check_seconds: float = Field(default=1.0, gt=0)
    overflow_suffix: str = "-overflow"
    callback_after_seconds: int = Field(default=300, ge=0)
