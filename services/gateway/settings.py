"""Gateway settings (env prefix ``BATON_``)."""

from __future__ import annotations

from pydantic import Field

from shared.config import BatonSettings


class GatewaySettings(BatonSettings):
    service_name: str = "gateway"
    gateway_host: str = "127.0.0.1"
    gateway_port: int = Field(default=8080, ge=0, le=65535)
    gateway_max_body_bytes: int = Field(default=1_000_000, ge=1024)
    gateway_max_batch: int = Field(default=500, ge=1)
    # Webhook signature secrets per tenant and platform, e.g. {"acme": {"twilio": "..."}}.
    ingest_secrets: dict[str, dict[str, str]] = Field(default_factory=dict)
    ingest_verify: bool = Field(default=True, description="Off only for local demos.")
    default_tenant: str = "demo"
