"""Structured JSON logging, configured once per process."""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

from shared.redaction import Redactor, structlog_processor


def configure_logging(service: str, *, level: str = "INFO", fmt: str = "json") -> None:
    """Route stdlib and structlog records through one JSON renderer tagged with the service."""
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    # PII never reaches a log line: every string value is redacted, exception text included,
    # before the timestamp is added (a timestamp would otherwise look like a phone number).
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        _add_service(service),
        structlog.processors.format_exc_info,
        structlog_processor(Redactor()),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(_Stderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(_Stderr())
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logging.getLogger("baton").setLevel(level.upper())


class _Stderr:
    """Whatever ``sys.stderr`` is when a line is written, not when logging was configured.

    Test runners and embedding hosts swap stderr; a stream bound at start-up would be closed.
    """

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def _add_service(service: str) -> Any:
    def processor(_logger: Any, _name: str, event: dict[str, Any]) -> dict[str, Any]:
        event.setdefault("service", service)
        return event

    return processor


def get_logger(name: str = "baton") -> Any:
    """Return a structlog logger."""
    return structlog.get_logger(name)
