"""Agent tokens: signed per tenant, carrying the agent id and the queues they serve."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

import jwt


class TokenError(ValueError):
    """A token that is missing, forged, expired, or for an unknown tenant."""


@dataclass(frozen=True)
class Agent:
    tenant_id: str
    agent_id: str
    queues: frozenset[str]

    def serves(self, queue: str) -> bool:
        return "*" in self.queues or queue in self.queues


def issue(
    secrets: Mapping[str, str],
    *,
    tenant_id: str,
    agent_id: str,
    queues: list[str],
    ttl_seconds: int,
) -> str:
    """Sign a token with the tenant's own secret, so one tenant cannot mint another's."""
    if tenant_id not in secrets:
        raise TokenError(f"no signing secret configured for tenant {tenant_id!r}")
    now = int(time.time())
    claims = {
        "tid": tenant_id,
        "sub": agent_id,
        "queues": queues,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    return jwt.encode(claims, secrets[tenant_id], algorithm="HS256", headers={"kid": tenant_id})


def verify(secrets: Mapping[str, str], token: str) -> Agent:
    """Check the signature with the secret of the tenant the token names, and its expiry."""
    try:
        kid = str(jwt.get_unverified_header(token).get("kid"))
        if kid not in secrets:
            raise TokenError("unknown tenant")
        claims = jwt.decode(token, secrets[kid], algorithms=["HS256"], options={"require": ["exp"]})
    except jwt.PyJWTError as exc:
        raise TokenError(f"invalid token: {exc}") from exc
    if claims.get("tid") != kid:
        raise TokenError("token tenant does not match its key")
    return Agent(
        tenant_id=str(claims["tid"]),
        agent_id=str(claims["sub"]),
        queues=frozenset(str(q) for q in claims.get("queues", [])),
    )
