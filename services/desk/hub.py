"""Fan desk events out to the agents connected to this process, by tenant and queue."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from services.desk.tokens import Agent


@dataclass(eq=False)
class Subscriber:
    agent: Agent
    inbox: asyncio.Queue[dict[str, Any]] = field(
        default_factory=lambda: asyncio.Queue(maxsize=1000)
    )


class Hub:
    """Every message goes only to subscribers of its tenant who serve its queue."""

    def __init__(self) -> None:
        self._subs: set[Subscriber] = set()

    def subscribe(self, agent: Agent) -> Subscriber:
        sub = Subscriber(agent)
        self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self._subs.discard(sub)

    def publish(self, tenant_id: str, queue: str, message: dict[str, Any]) -> int:
        sent = 0
        for sub in list(self._subs):
            if sub.agent.tenant_id != tenant_id or not sub.agent.serves(queue):
                continue
            if sub.inbox.full():
                continue  # a stalled client must not block the others; it re-syncs on reconnect
            sub.inbox.put_nowait(message)
            sent += 1
        return sent

    @property
    def connected(self) -> int:
        return len(self._subs)
