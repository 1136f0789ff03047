"""Prometheus metrics of the outbound connector, labelled by service."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

STEPS = Counter(
    "baton_connector_steps_total",
    "Handoff steps by outcome: delivered, failed, duplicate, in_flight, unchanged.",
    ["service", "step", "outcome"],
)
REQUESTS = Counter(
    "baton_connector_requests_total",
    "HTTP requests to the desk by step and result (status code, timeout, connection_error).",
    ["service", "step", "result"],
)
RETRIES = Counter(
    "baton_connector_retries_total",
    "Requests repeated after a transient error.",
    ["service", "step"],
)
REQUEST_SECONDS = Histogram(
    "baton_connector_request_seconds",
    "Time of one HTTP request to the desk.",
    ["service", "step"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
IGNORED = Counter(
    "baton_connector_ignored_total",
    "Events the connector had nothing to do for, by reason.",
    ["service", "reason"],
)
