"""A stand-in Chatwoot that holds every request to the published Application API.

The contract comes from Chatwoot's OpenAPI (swagger/paths/application/conversation/
messages/create.yml, assignments.yml, toggle_status.yml and the ``api_access_token`` header
security schemes): method, path with integer ids, the token header, a JSON body whose fields
have the documented names, types and enums. Anything else is recorded as a violation and
answered 422. Answers have Chatwoot's shapes, including its quirk of clearing the team and
answering ``null`` when asked for a team the account does not have.

One ``FakeChatwoot`` serves an ``httpx.MockTransport`` (unit tests) or a real HTTP server
(integration tests), so both are held to one contract.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

_PATH = re.compile(
    r"/api/v1/accounts/(?P<account>[0-9]+)/conversations/(?P<conversation>[0-9]+)"
    r"/(?P<endpoint>messages|assignments|toggle_status)"
)

# name -> (accepted JSON types, allowed values or None); None in types means "object".
_MESSAGE_FIELDS: dict[str, tuple[tuple[type, ...], tuple[Any, ...] | None]] = {
    "content": ((str,), None),
    "message_type": ((str,), ("outgoing", "incoming")),
    "private": ((bool,), None),
    "content_type": (
        (str,),
        ("text", "input_email", "cards", "input_select", "form", "article"),
    ),
    "content_attributes": ((dict,), None),
    "campaign_id": ((int,), None),
    "attachment_ids": ((list,), None),
    "template_params": ((dict,), None),
}
_ASSIGNMENT_FIELDS: dict[str, tuple[tuple[type, ...], tuple[Any, ...] | None]] = {
    "assignee_id": ((int, float), None),
    "team_id": ((int, float), None),
}
_STATUS_FIELDS: dict[str, tuple[tuple[type, ...], tuple[Any, ...] | None]] = {
    "status": ((str,), ("open", "resolved", "pending", "snoozed")),
    "snoozed_until": ((int, float), None),
}
_REQUIRED = {"messages": ("content",), "assignments": (), "toggle_status": ("status",)}
_FIELDS = {
    "messages": _MESSAGE_FIELDS,
    "assignments": _ASSIGNMENT_FIELDS,
    "toggle_status": _STATUS_FIELDS,
}


@dataclass
class Seen:
    """One request the fake accepted."""

    endpoint: str
    account_id: int
    conversation_id: int
    body: dict[str, Any]


@dataclass
class Thread:
    """A conversation's state as Chatwoot would hold it."""

    status: str = "pending"
    team_id: int | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class FakeChatwoot:
    tokens: dict[str, set[int]] = field(default_factory=dict)
    teams: dict[int, dict[int, str]] = field(default_factory=dict)
    threads: dict[tuple[int, int], Thread] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    calls: int = 0
    _failures: dict[str, list[int]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1001))

    def add_conversation(self, account_id: int, conversation_id: int) -> Thread:
        return self.threads.setdefault((account_id, conversation_id), Thread())

    def fail_next(self, endpoint: str, times: int, status: int = 500) -> None:
        """Answer the next ``times`` well-formed requests to ``endpoint`` with ``status``."""
        self._failures.setdefault(endpoint, []).extend([status] * times)

    def of(self, endpoint: str) -> list[Seen]:
        return [s for s in self.seen if s.endpoint == endpoint]

    def answer(
        self, method: str, path: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, Any]:
        """Return the status and JSON body Chatwoot would answer this request with."""
        self.calls += 1
        m = _PATH.fullmatch(path)
        if m is None:
            return self._violate(404, f"unknown path {path}")
        endpoint = m["endpoint"]
        if method != "POST":
            return self._violate(404, f"{method} {path}: only POST is documented")
        account, display = int(m["account"]), int(m["conversation"])
        token = headers.get("api_access_token")
        if token is None:
            return self._violate(401, "no api_access_token header")
        if account not in self.tokens.get(token, set()):
            return 401, {"error": "You are not authorized to access this account"}
        if not headers.get("content-type", "").startswith("application/json"):
            return self._violate(415, f"content-type {headers.get('content-type')!r}")
        try:
            body = json.loads(raw)
        except ValueError:
            return self._violate(400, "body is not JSON")
        problem = _check_body(endpoint, body)
        if problem is not None:
            return self._violate(422, f"{endpoint}: {problem}")
        thread = self.threads.get((account, display))
        if thread is None:
            return 404, {"error": "Resource could not be found"}
        queued = self._failures.get(endpoint)
        if queued:
            return queued.pop(0), {"error": "Internal Server Error"}
        self.seen.append(Seen(endpoint, account, display, body))
        return 200, self._apply(endpoint, account, display, thread, body)

    def transport(self) -> httpx.MockTransport:
        def handle(request: httpx.Request) -> httpx.Response:
            status, body = self.answer(
                request.method,
                request.url.path,
                {k.lower(): v for k, v in request.headers.items()},
                request.content,
            )
            return httpx.Response(status, json=body)

        return httpx.MockTransport(handle)

    def _violate(self, status: int, problem: str) -> tuple[int, Any]:
        self.violations.append(problem)
        return status, {"message": problem}

    def _apply(
        self, endpoint: str, account: int, display: int, thread: Thread, body: dict[str, Any]
    ) -> Any:
        now = int(time.time())
        if endpoint == "messages":
            thread.notes.append(body["content"])
            return {
                "id": next(self._ids),
                "content": body["content"],
                "account_id": account,
                "inbox_id": 1,
                "conversation_id": display,
                "message_type": 1 if body.get("message_type", "outgoing") == "outgoing" else 0,
                "created_at": now,
                "updated_at": now,
                "private": bool(body.get("private", False)),
                "status": "sent",
                "source_id": None,
                "content_type": body.get("content_type", "text"),
                "content_attributes": {},
                "sender_type": "User",
                "sender_id": 1,
                "external_source_ids": {},
                "additional_attributes": {},
                "processed_message_content": body["content"],
                "sentiment": {},
                "conversation": {},
                "attachment": None,
                "sender": {"id": 1, "name": "Baton", "type": "user"},
            }
        if endpoint == "assignments":
            if "assignee_id" in body:
                return None
            if "team_id" not in body:
                return None
            team_id = int(body["team_id"])
            name = self.teams.get(account, {}).get(team_id)
            # Chatwoot sets whatever team it found, so an unknown id clears the team.
            thread.team_id = team_id if name is not None else None
            if name is None:
                return None
            return {
                "id": team_id,
                "name": name,
                "description": None,
                "allow_auto_assign": True,
                "account_id": account,
                "is_member": False,
            }
        thread.status = body["status"]
        return {
            "meta": {},
            "payload": {
                "success": True,
                "current_status": body["status"],
                "conversation_id": display,
            },
        }


def _check_body(endpoint: str, body: Any) -> str | None:
    if not isinstance(body, dict):
        return "body must be a JSON object"
    fields = _FIELDS[endpoint]
    for name in _REQUIRED[endpoint]:
        if name not in body:
            return f"{name} is required"
    for name, value in body.items():
        if name not in fields:
            return f"{name} is not a documented field"
        types, allowed = fields[name]
        # JSON true/false decode to bool, which Python also counts as int: not a number here.
        if isinstance(value, bool) and bool not in types:
            return f"{name} must be {types[0].__name__}, got a boolean"
        if not isinstance(value, types):
            return f"{name} must be {types[0].__name__}, got {type(value).__name__}"
        if allowed is not None and value not in allowed:
            return f"{name} must be one of {allowed}, got {value!r}"
    return None
