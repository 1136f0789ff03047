"""Check that the structlog processor scrubs every string an event carries."""

from __future__ import annotations

import json
from typing import Any

import structlog

from shared.redaction import Redactor, structlog_processor


def test_nested_strings_are_redacted_and_other_values_kept(redactor: Redactor) -> None:
    event: dict[str, Any] = {
        "event": "customer wrote a@b.co",
        "payload": {"card": "4242 4242 4242 4242", "lines": ["ssn 123-45-6789", 7]},
        "pair": ("415-555-2671", None),
        "count": 3,
    }
    processed = structlog_processor(redactor)(None, "info", event)
    assert processed == {
        "event": "customer wrote [EMAIL]",
        "payload": {"card": "[CARD ****4242]", "lines": ["ssn [SSN]", 7]},
        "pair": ("[PHONE]", None),
        "count": 3,
    }
    assert event["payload"]["card"] == "4242 4242 4242 4242"


def test_processor_runs_in_a_structlog_chain(redactor: Redactor) -> None:
    logger = structlog.wrap_logger(
        structlog.ReturnLogger(),
        processors=[structlog_processor(redactor), structlog.processors.JSONRenderer()],
        wrapper_class=structlog.BoundLogger,  # independent of the process-wide configuration
    )
    rendered = logger.info("handoff built", order="A48213", note="call me at +44 20 7946 0958")
    assert json.loads(rendered) == {
        "event": "handoff built",
        "order": "A48213",
        "note": "call me at [PHONE]",
    }
