"""Which services exist and how each one is bootstrapped, declared once."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from shared.config import ServiceSettings


@dataclass(frozen=True)
class ServiceEntry:
    name: str
    app_module: str
    settings_class: str

    def settings(self) -> ServiceSettings:
        module, cls = self.settings_class.rsplit(":", 1)
        settings: ServiceSettings = getattr(importlib.import_module(module), cls)()
        return settings

    def bootstrap(self) -> Any:
        return importlib.import_module(self.app_module).bootstrap


SERVICES: dict[str, ServiceEntry] = {
    e.name: e
    for e in (
        ServiceEntry("intent", "services.intent.app", "services.intent.settings:IntentSettings"),
        ServiceEntry(
            "sentiment", "services.sentiment.app", "services.sentiment.settings:SentimentSettings"
        ),
        ServiceEntry(
            "escalation",
            "services.escalation.app",
            "services.escalation.settings:EscalationSettings",
        ),
        ServiceEntry(
            "context", "services.context.app", "services.context.settings:ContextSettings"
        ),
        ServiceEntry(
            "chatwoot", "services.chatwoot.app", "services.chatwoot.settings:ChatwootSettings"
        ),
    )
}
