"""Scrub PII from structlog events before any renderer or sink sees them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shared.redaction._redactor import Redactor

Processor = Callable[[Any, str, dict[str, Any]], dict[str, Any]]


def structlog_processor(redactor: Redactor) -> Processor:
    """Build a structlog processor that redacts every string value, however deeply nested."""

    def redact_event(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
        """Return a copy of the event with PII replaced in all string values."""
        return {key: _scrub(value, redactor) for key, value in event_dict.items()}

    return redact_event


def _scrub(value: Any, redactor: Redactor) -> Any:
    if isinstance(value, str):
        return redactor.redact_text(value)
    if isinstance(value, dict):
        return {key: _scrub(item, redactor) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item, redactor) for item in value]
    if isinstance(value, tuple):
        return tuple(_scrub(item, redactor) for item in value)
    return value
