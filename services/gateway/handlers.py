"""Turn a request body into validated conversation events, or say exactly what is wrong."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
from pydantic import TypeAdapter, ValidationError

from shared.schemas.envelope import Envelope
from shared.schemas.events import ConversationEvent

_EVENT: TypeAdapter[Any] = TypeAdapter(ConversationEvent)


@dataclass
class BadInput(Exception):
    """Input we refuse, with the HTTP status and a message for the sender."""

    status: int
    code: str
    message: str
    errors: list[dict[str, Any]] = field(default_factory=list)

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, "errors": self.errors}


CLOUDEVENT_PREFIX = "baton."


def from_cloudevent(item: Any) -> Any:
    """Unwrap a structured-mode CloudEvent (v1.0) into a Baton event; pass others through.

    ``type`` is the Baton event type, optionally prefixed ``baton.``; ``data`` holds the
    event's fields; ``id`` and ``time`` fill ``event_id`` and ``occurred_at`` when absent.
    """
    if not isinstance(item, dict) or "specversion" not in item:
        return item
    if item.get("specversion") != "1.0":
        raise ValueError(f"unsupported CloudEvents specversion {item.get('specversion')!r}")
    data = item.get("data")
    if not isinstance(data, dict):
        return {"event_type": None, "_cloudevent": "data must be a JSON object"}
    kind = str(item.get("type", "")).removeprefix(CLOUDEVENT_PREFIX)
    event = {"event_type": kind, **data}
    if "id" in item:
        event.setdefault("event_id", item["id"])
    if "time" in item:
        event.setdefault("occurred_at", item["time"])
    return event


def parse_events(body: bytes, *, max_batch: int) -> list[Envelope]:
    """Accept one event or a JSON array of events; reject the whole request if any is invalid."""
    if not body.strip():
        raise BadInput(400, "empty_body", "the request body is empty; send a JSON event or array")
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadInput(400, "invalid_json", f"the body is not valid JSON: {exc}") from exc
    items = data if isinstance(data, list) else [data]
    if not items:
        raise BadInput(400, "empty_batch", "the array holds no events")
    if len(items) > max_batch:
        raise BadInput(
            413, "batch_too_large", f"{len(items)} events; at most {max_batch} per request"
        )
    events: list[Envelope] = []
    errors: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        try:
            events.append(_EVENT.validate_python(from_cloudevent(item)))
        except ValidationError as exc:
            for err in exc.errors(include_url=False, include_context=False, include_input=False):
                errors.append(
                    {
                        "index": i,
                        "field": ".".join(str(x) for x in err["loc"]),
                        "problem": err["msg"],
                    }
                )
        except ValueError as exc:  # an unsupported CloudEvents envelope
            errors.append({"index": i, "field": "specversion", "problem": str(exc)})
    if errors:
        raise BadInput(
            422,
            "invalid_event",
            f"{len({e['index'] for e in errors})} of {len(items)} events are invalid; "
            "none accepted",
            errors,
        )
    return events
