"""Run one stream service as a process: logging, topics, health server, runner, signals."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from shared.bus.kafka import KafkaBus
from shared.config import ServiceSettings
from shared.logging import configure_logging, get_logger
from shared.observability import HealthServer, ReadinessCheck
from shared.runtime import StreamApp, StreamRunner
from shared.schemas.topics import ALL_TOPICS

Bootstrap = Callable[
    [ServiceSettings], AbstractAsyncContextManager[tuple[StreamApp, dict[str, ReadinessCheck]]]
]


async def serve(
    settings: ServiceSettings, bootstrap: Bootstrap, *, stop: asyncio.Event | None = None
) -> None:
    """Start the service's clients inside ``bootstrap`` and process until SIGINT/SIGTERM."""
    configure_logging(settings.service_name, level=settings.log_level, fmt=settings.log_format)
    log = get_logger("baton.service")
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    bus = KafkaBus.from_settings(settings)
    await ensure_all_topics(bus, settings)
    async with bootstrap(settings) as (app, checks):
        # Models and clients are loaded now and live as long as the process: move them out of
        # the collector's view, and collect young objects less often (each batch makes many).
        gc.collect()
        gc.freeze()
        gc.set_threshold(50_000, 20, 50)
        runner = StreamRunner(
            app,
            bus,
            group_prefix=settings.consumer_group_prefix,
            max_records=settings.batch_max_records,
            timeout_ms=settings.batch_timeout_ms,
        )

        async def consuming() -> tuple[bool, str]:
            return runner.ready.is_set(), f"last poll {runner.stats.last_poll:.0f}"

        health = HealthServer(
            settings.service_name,
            settings.metrics_host,
            settings.metrics_port,
            {"consumer": consuming, **checks},
        )
        await health.start()
        log.info("health_listening", port=health.bound_port)
        try:
            await runner.run(stop)
        finally:
            await health.stop()


async def ensure_all_topics(bus: KafkaBus, settings: ServiceSettings) -> None:
    """Create Baton's topics with the configured partition count, waiting for the broker."""
    log = get_logger("baton.service")
    delay = 0.5
    for attempt in range(30):
        try:
            await bus.ensure_topics(
                [t.name for t in ALL_TOPICS], partitions=settings.topic_partitions
            )
            return
        except Exception as exc:  # broker not up yet: keep trying for a while, then give up
            log.warning("kafka_not_ready", attempt=attempt, error=repr(exc))
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, 5.0)
    raise RuntimeError(f"Kafka at {settings.kafka_bootstrap_servers} did not answer")
