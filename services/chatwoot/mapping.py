"""Which Chatwoot conversation a session is, and where and as whom a tenant's handoffs go."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from services.chatwoot.settings import ChatwootSettings

# The Chatwoot ingest adapter names sessions chatwoot:{account_id}:{conversation display id}.
_SESSION = re.compile(r"chatwoot:([1-9][0-9]{0,17}):([1-9][0-9]{0,17})")


@dataclass(frozen=True, slots=True)
class Conversation:
    """A Chatwoot conversation: the account and the per-account display id the API takes."""

    account_id: int
    conversation_id: int

    @property
    def path(self) -> str:
        return f"/api/v1/accounts/{self.account_id}/conversations/{self.conversation_id}"

    def __str__(self) -> str:
        return f"chatwoot:{self.account_id}:{self.conversation_id}"


def parse_session(session_id: str) -> Conversation | None:
    """Return the Chatwoot conversation a session id names, or None if it is not Chatwoot's."""
    m = _SESSION.fullmatch(session_id)
    return Conversation(int(m.group(1)), int(m.group(2))) if m else None


@dataclass(frozen=True, slots=True)
class Desk:
    """One tenant's Chatwoot: the installation, its credentials and its queue -> team map."""

    base_url: str
    api_token: str | None = field(repr=False)
    queue_teams: Mapping[str, int] = field(default_factory=dict)
    default_team_id: int | None = None
    account_id: int | None = None

    def team_for(self, queue: str) -> int | None:
        """Return the team a queue maps to, the default team, or None."""
        return self.queue_teams.get(queue, self.default_team_id)

    def refusal(self, conversation: Conversation) -> str | None:
        """Say why this desk must not write to the conversation, or None if it may."""
        if not self.api_token:
            return "no Chatwoot api_access_token configured for this tenant"
        if self.account_id is not None and conversation.account_id != self.account_id:
            return (
                f"account {conversation.account_id} is not this tenant's "
                f"Chatwoot account {self.account_id}"
            )
        return None


class Desks:
    """Resolve each tenant's desk from the service-wide defaults and its overrides."""

    def __init__(self, default: Desk, tenants: Mapping[str, Desk] | None = None) -> None:
        self._default = default
        self._tenants = dict(tenants or {})

    def for_tenant(self, tenant_id: str) -> Desk:
        return self._tenants.get(tenant_id, self._default)

    @classmethod
    def from_settings(cls, settings: ChatwootSettings) -> Desks:
        token = settings.chatwoot_api_token
        default = Desk(
            base_url=settings.chatwoot_base_url,
            api_token=token.get_secret_value() if token else None,
            queue_teams=dict(settings.chatwoot_queue_teams),
            default_team_id=settings.chatwoot_default_team_id,
        )
        tenants = {}
        for tenant_id, t in settings.chatwoot_tenants.items():
            own_install = t.base_url is not None and t.base_url != default.base_url
            if t.api_token is not None:
                tenant_token: str | None = t.api_token.get_secret_value()
            else:
                # Never send the shared token to another tenant's installation.
                tenant_token = None if own_install else default.api_token
            tenants[tenant_id] = Desk(
                base_url=t.base_url or default.base_url,
                api_token=tenant_token,
                # A tenant's map extends the shared one; its own entries win.
                queue_teams={**default.queue_teams, **t.queue_teams},
                default_team_id=t.default_team_id or default.default_team_id,
                account_id=t.account_id,
            )
        return cls(default, tenants)
