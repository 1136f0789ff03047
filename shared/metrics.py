"""Prometheus metrics every service exports, labelled by service."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS_CONSUMED = Counter(
    "baton_events_consumed_total", "Records read from Kafka.", ["service", "topic"]
)
EVENTS_PUBLISHED = Counter(
    "baton_events_published_total", "Records published to Kafka.", ["service", "topic"]
)
DEAD_LETTERS = Counter(
    "baton_dead_letters_total", "Records sent to baton.dlq.", ["service", "reason"]
)
BATCH_SECONDS = Histogram(
    "baton_batch_seconds",
    "Time to process one polled batch, effects and publish included.",
    ["service"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
RETRIES = Counter(
    "baton_batch_retries_total", "Batches re-read after an infrastructure error.", ["service"]
)
TASK_RETRIES = Counter(
    "baton_task_retries_total",
    "Periodic tasks (sweeps, checks, reloads) put off by an infrastructure error.",
    ["task"],
)
TURN_LATENCY = Histogram(
    "baton_turn_latency_seconds",
    "From the customer turn entering Baton to this service's output.",
    ["service", "output"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
DECISIONS = Counter("baton_decisions_total", "Escalation decisions.", ["action", "reason"])
PACKETS = Counter("baton_handoff_packets_total", "Handoff packets built.", ["complete", "queue"])
LAST_POLL = Gauge("baton_last_poll_timestamp_seconds", "When the service last polled.", ["service"])
