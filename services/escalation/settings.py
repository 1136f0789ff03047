"""Escalation service settings (env prefix ``BATON_``)."""

from __future__ import annotations

from pydantic import Field

from shared.config import ServiceSettings


class EscalationSettings(ServiceSettings):
    service_name: str = "escalation"
    metrics_port: int = 9103
    misunderstood_turns: int = Field(default=2, ge=1)
    negative_turns: int = Field(default=2, ge=1)
