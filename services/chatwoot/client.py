"""Chatwoot's Application API, the three calls a handoff needs, with bounded retries.

Paths, bodies and the ``api_access_token`` header follow Chatwoot's published OpenAPI
(swagger/paths/application/conversation/{messages/create,assignments,toggle_status}.yml).
The ``conversation_id`` in each path is the per-account display id.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from services.chatwoot.events import Step
from services.chatwoot.mapping import Conversation, Desk
from services.chatwoot.metrics import REQUEST_SECONDS, REQUESTS, RETRIES
from shared.logging import get_logger

log = get_logger("baton.chatwoot.client")

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded attempts with exponential backoff and jitter."""

    attempts: int = 5
    base_seconds: float = 0.2
    max_seconds: float = 5.0

    def backoff(self, retry: int, rng: random.Random) -> float:
        """Return the wait before retry number ``retry`` (1-based): half fixed, half random."""
        ceiling = min(self.max_seconds, self.base_seconds * 2.0 ** (retry - 1))
        return ceiling / 2 + rng.uniform(0.0, ceiling / 2)


@dataclass(frozen=True, slots=True)
class Reply:
    """How one call ended, after every attempt it took."""

    ok: bool
    attempts: int
    status_code: int | None = None
    body: Any = None
    error: str | None = None
    retryable: bool = False

    @property
    def reference(self) -> str | None:
        """Return the id of what Chatwoot created or assigned, if it said."""
        if isinstance(self.body, dict) and isinstance(self.body.get("id"), int):
            return str(self.body["id"])
        return None


Check = Callable[[Any], str | None]


class ChatwootClient:
    """Post to a tenant's Chatwoot, retrying 5xx, 429, timeouts and connection errors."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        retry: RetryPolicy,
        service: str = "chatwoot",
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._http = http
        self._retry = retry
        self._service = service
        self._sleep = sleep
        self._rng = rng or random.Random()

    async def post_private_note(self, desk: Desk, conv: Conversation, content: str) -> Reply:
        """Add a note only agents see to the conversation."""
        body = {"content": content, "message_type": "outgoing", "private": True}
        return await self._post("note", desk, f"{conv.path}/messages", body, _private)

    async def assign_team(
        self, desk: Desk, conv: Conversation, team_id: int, *, step: Step = "assign"
    ) -> Reply:
        """Give the conversation to a team (Chatwoot may then auto-assign one of its agents)."""

        def check(body: Any) -> str | None:
            # Chatwoot looks the team up in the account and sets whatever it found, so an
            # unknown id answers 200 with null and clears the conversation's team.
            if not isinstance(body, dict) or body.get("id") != team_id:
                return (
                    f"team {team_id} does not exist in Chatwoot account {conv.account_id}; "
                    "the conversation has no team now"
                )
            return None

        return await self._post(step, desk, f"{conv.path}/assignments", {"team_id": team_id}, check)

    async def open(self, desk: Desk, conv: Conversation) -> Reply:
        """Set the conversation's status to open, so it shows in the agents' open view."""

        def check(body: Any) -> str | None:
            payload = body.get("payload") if isinstance(body, dict) else None
            status = payload.get("current_status") if isinstance(payload, dict) else None
            if status is not None and status != "open":
                return f"Chatwoot left the conversation {status!r}, not open"
            return None

        return await self._post(
            "open", desk, f"{conv.path}/toggle_status", {"status": "open"}, check
        )

    async def _post(
        self, step: Step, desk: Desk, path: str, body: dict[str, Any], check: Check
    ) -> Reply:
        url = desk.base_url.rstrip("/") + path
        headers = {"api_access_token": desk.api_token or ""}
        attempt = 0
        while True:
            attempt += 1
            status: int | None = None
            hint: float | None = None
            started = time.perf_counter()
            try:
                response = await self._http.post(url, json=body, headers=headers)
            except httpx.TimeoutException as exc:
                result, error = "timeout", f"timed out: {type(exc).__name__}"
            except httpx.TransportError as exc:
                result, error = "connection_error", f"{type(exc).__name__}: {exc}"
            else:
                status = response.status_code
                result = str(status)
                if response.is_success:
                    return self._success(step, attempt, response, check, started)
                error = f"HTTP {status}: {_excerpt(response)}"
                if status != 429 and status < 500:
                    self._count(step, result, started)
                    log.error("chatwoot_rejected", step=step, url=url, status=status, error=error)
                    return Reply(False, attempt, status, error=error, retryable=False)
                hint = _retry_after(response)
            self._count(step, result, started)
            if attempt >= self._retry.attempts:
                log.error("chatwoot_gave_up", step=step, url=url, attempts=attempt, error=error)
                return Reply(False, attempt, status, error=error, retryable=True)
            wait = self._retry.backoff(attempt, self._rng)
            if hint is not None:
                wait = min(max(wait, hint), self._retry.max_seconds)
            RETRIES.labels(self._service, step).inc()
            log.warning(
                "chatwoot_retry", step=step, url=url, attempt=attempt, wait=wait, error=error
            )
            await self._sleep(wait)

    def _success(
        self, step: Step, attempt: int, response: httpx.Response, check: Check, started: float
    ) -> Reply:
        self._count(step, str(response.status_code), started)
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        problem = check(body)
        if problem is not None:
            log.error("chatwoot_unexpected_answer", step=step, error=problem)
            return Reply(False, attempt, response.status_code, body, problem, retryable=False)
        return Reply(True, attempt, response.status_code, body)

    def _count(self, step: Step, result: str, started: float) -> None:
        REQUESTS.labels(self._service, step, result).inc()
        REQUEST_SECONDS.labels(self._service, step).observe(time.perf_counter() - started)


def _private(body: Any) -> str | None:
    # The note carries the case for agents only; say so loudly if it went out in public.
    if isinstance(body, dict) and body.get("private") is False:
        return f"Chatwoot created message {body.get('id')} as a public message, not a note"
    return None


def _excerpt(response: httpx.Response, limit: int = 300) -> str:
    text = " ".join(response.text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _retry_after(response: httpx.Response) -> float | None:
    """Return Retry-After in seconds when given as a number (the form rate limiters use)."""
    value = response.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
