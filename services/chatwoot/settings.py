"""Chatwoot connector settings (env prefix ``BATON_``; maps are JSON, e.g. ``{"billing": 3}``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from shared.config import ServiceSettings


class ChatwootTenant(BaseModel):
    """One tenant's overrides: its own installation, token, account and queue -> team map."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str | None = None
    api_token: SecretStr | None = None
    account_id: int | None = Field(
        default=None, ge=1, description="If set, the only Chatwoot account this tenant may write."
    )
    queue_teams: dict[str, int] = Field(default_factory=dict)
    default_team_id: int | None = Field(default=None, ge=1)


class ChatwootSettings(ServiceSettings):
    service_name: str = "chatwoot"
    metrics_port: int = 9106
    chatwoot_base_url: str = Field(
        default="http://127.0.0.1:3000", description="Installation root, without /api/v1."
    )
    chatwoot_api_token: SecretStr | None = Field(
        default=None, description="api_access_token of an agent or agent bot that may assign."
    )
    chatwoot_queue_teams: dict[str, int] = Field(
        default_factory=dict, description="Baton queue -> Chatwoot team id."
    )
    chatwoot_default_team_id: int | None = Field(
        default=None, ge=1, description="Team for queues missing from the map; None fails them."
    )
    chatwoot_tenants: dict[str, ChatwootTenant] = Field(
        default_factory=dict, description="Per-tenant overrides of the settings above."
    )
    chatwoot_timeout_seconds: float = Field(default=5.0, gt=0)
    chatwoot_connect_timeout_seconds: float = Field(default=2.0, gt=0)
    chatwoot_retry_attempts: int = Field(default=5, ge=1, le=20)
    chatwoot_retry_base_seconds: float = Field(default=0.2, gt=0)
    chatwoot_retry_max_seconds: float = Field(default=5.0, gt=0)
    chatwoot_lease_seconds: float = Field(
        default=120.0,
        gt=0,
        description="How long a started step blocks redeliveries; longer than its retries take.",
    )
    chatwoot_concurrency: int = Field(default=8, ge=1, le=256)
    chatwoot_note_max_chars: int = Field(default=10_000, ge=200, le=150_000)
