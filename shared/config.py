"""Settings shared by every service; the environment is read here and nowhere else."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class BatonSettings(BaseSettings):
    """Connection and runtime settings common to all services (env prefix ``BATON_``)."""

    model_config = SettingsConfigDict(env_prefix="BATON_", extra="ignore", frozen=True)

    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "BATON_KAFKA_BOOTSTRAP_SERVERS"),
    )
    redis_url: str = Field(
        default="redis://127.0.0.1:6379/0",
        validation_alias=AliasChoices("REDIS_URL", "BATON_REDIS_URL"),
    )
    topic_prefix: str = Field(default="", description="Test/environment isolation only.")
    topic_partitions: int = Field(default=6, ge=1)
    topic_replication_factor: int = Field(default=1, ge=1)
    session_ttl_seconds: int = Field(default=7 * 24 * 3600, ge=60)
    consumer_group_prefix: str = "baton"
    batch_max_records: int = Field(default=1000, ge=1)
    batch_timeout_ms: int = Field(default=20, ge=0)
    # No linger: a service sends a whole batch's output in one go, so the producer's batches
    # fill without waiting. With 5 ms, every hop waited 6.5 ms (median) for its acks instead
    # of 2 ms, and neither the services' nor the broker's CPU per turn moved on the bench.
    producer_linger_ms: int = Field(default=0, ge=0)
    # A fetch returns once this much is waiting or the wait is over. A short wait lets a
    # steady stream gather into batches of tens of events instead of a fetch, a handler
    # call and a produce per event: at 500 turns/s on 2 cores that per-batch cost saturated
    # the machine (2.7 ms CPU per turn with 1 byte, 2.0 ms with these values); the wait
    # adds at most 25 ms per hop.
    consumer_fetch_min_bytes: int = Field(default=256 * 1024, ge=1)
    consumer_fetch_max_wait_ms: int = Field(default=25, ge=0)
    log_level: str = "INFO"
    log_format: str = Field(default="json", pattern="^(json|console)$")
    metrics_host: str = "127.0.0.1"


class ServiceSettings(BatonSettings):
    """Settings of one stream service; subclasses set the name and metrics port."""

    service_name: str = "baton"
    metrics_port: int = Field(default=0, ge=0, le=65535)
