"""Sentiment service settings (env prefix ``BATON_``)."""

from __future__ import annotations

from shared.config import ServiceSettings


class SentimentSettings(ServiceSettings):
    service_name: str = "sentiment"
    metrics_port: int = 9102
