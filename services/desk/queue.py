"""The desk's view of handoffs per tenant, kept in the state store (Redis in production)."""

from __future__ import annotations

import time
from typing import Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field

from shared.schemas.events import HandoffPacketBuilt, HandoffUpdated
from shared.state.base import StateStore

Status = Literal["open", "accepted"]
TTL = 7 * 24 * 3600


class DeskItem(BaseModel):
    """A handoff as the desk tracks it: the packet, where it is, and who owns it."""

    model_config = ConfigDict(extra="ignore")

    packet: HandoffPacketBuilt
    status: Status = "open"
    queue: str
    priority: int
    agent_id: str | None = None
    received_at: float = Field(default_factory=time.time)
    generation: int = 0
    breached: bool = False
    updates: list[HandoffUpdated] = Field(default_factory=list)

    @property
    def packet_id(self) -> str:
        return self.packet.packet_id

    @property
    def sla_seconds(self) -> int:
        return self.packet.sla_seconds or 120


def _items(namespace: str, tenant_id: str) -> str:
    return f"baton:{namespace}desk:{{{tenant_id}}}:items"


def sla_member(tenant_id: str, packet_id: str) -> str:
    return orjson.dumps([tenant_id, packet_id]).decode()


class DeskQueue:
    """Handoffs per tenant; accepting is a claim, so two agents never both own one."""

    def __init__(self, store: StateStore, *, namespace: str = "") -> None:
        self._store = store
        # Empty in production; separates deployments (or test runs) sharing one Redis.
        self._ns = namespace
        self.sla_queue = f"baton:{namespace}desk:sla"

    async def add(self, packet: HandoffPacketBuilt) -> DeskItem | None:
        """Store a new packet; None if it was already known (redelivery)."""
        item = DeskItem(packet=packet, queue=packet.queue, priority=packet.priority)
        won, _ = await self._store.claim(
            _items(self._ns, packet.tenant_id),
            packet.packet_id,
            item.model_dump_json().encode(),
            ttl_seconds=TTL,
        )
        if not won:
            return None
        await self._store.schedule(
            self.sla_queue,
            sla_member(packet.tenant_id, packet.packet_id),
            item.received_at + item.sla_seconds,
        )
        return item

    async def get(self, tenant_id: str, packet_id: str) -> DeskItem | None:
        raw = (await self._store.read(_items(self._ns, tenant_id))).get(packet_id)
        return DeskItem.model_validate_json(raw) if raw else None

    async def put(self, item: DeskItem) -> None:
        await self._store.put(
            _items(self._ns, item.packet.tenant_id),
            {item.packet_id: item.model_dump_json().encode()},
            ttl_seconds=TTL,
        )

    async def items(self, tenant_id: str) -> list[DeskItem]:
        raw = await self._store.read(_items(self._ns, tenant_id))
        found = [
            DeskItem.model_validate_json(v) for k, v in raw.items() if not k.startswith("acc:")
        ]
        return sorted(found, key=lambda i: (i.priority, i.received_at))

    async def accept(self, item: DeskItem, agent_id: str) -> bool:
        """Claim the current generation of the handoff for this agent; False if taken."""
        won, _ = await self._store.claim(
            _items(self._ns, item.packet.tenant_id),
            f"acc:{item.packet_id}:{item.generation}",
            agent_id.encode(),
            ttl_seconds=TTL,
        )
        if won:
            item.status, item.agent_id = "accepted", agent_id
            await self.put(item)
        return won

    async def release(self, item: DeskItem) -> None:
        """Back to the queue as a new generation, so it can be accepted again."""
        item.status, item.agent_id, item.generation = "open", None, item.generation + 1
        await self.put(item)
