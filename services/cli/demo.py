"""Sample traffic in, readable handoff packets out: what ``make run`` shows."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from aiokafka import AIOKafkaConsumer

from services.traffic.conversations import read_conversations, to_events
from shared.bus.codec import to_message
from shared.bus.kafka import KafkaBus, partitions_of
from shared.schemas.events import HandoffPacketBuilt
from shared.schemas.topics import CONVERSATION_EVENTS, HANDOFF_PACKETS


async def publish_conversations(
    bus: KafkaBus, path: Path, *, suffix: str | None = None, pause_s: float = 0.0
) -> int:
    """Publish every conversation of a JSONL file, turn by turn; return the session count."""
    publisher = bus.publisher(client_id="baton-demo")
    await publisher.start()
    n = 0
    try:
        for conv in read_conversations(path):
            sid = f"{conv.id}-{suffix}" if suffix else conv.id
            for event in to_events(conv, session_id=sid):
                await publisher.publish([to_message(CONVERSATION_EVENTS, event)])
                if pause_s:
                    await asyncio.sleep(pause_s)
            n += 1
    finally:
        await publisher.stop()
    return n


def render_packet(p: HandoffPacketBuilt) -> str:
    """Format a packet the way an agent would want to read it in a terminal."""
    lines = [
        "=" * 78,
        f"HANDOFF  session={p.session_id}  queue={p.queue}  priority={p.priority}  "
        f"channel={p.channel.value}  complete={p.complete}",
        f"Summary: {p.summary}",
        "Reasons: " + "; ".join(f"{r.code} ({r.detail})" for r in p.reasons),
    ]
    if p.customer:
        c = p.customer
        lines.append(
            f"Customer: {c.name or '?'} [{c.customer_id}] tier={c.tier} value={c.lifetime_value}"
        )
    if p.history:
        lines.append(
            "History: "
            + "; ".join(f"{h.session_id} {h.outcome} {','.join(h.intents)}" for h in p.history[:3])
        )
    if p.facts:
        lines.append("Facts: " + "; ".join(f"{f.kind}={f.value}" for f in p.facts))
    traj = p.sentiment
    lines.append(
        f"Sentiment: latest={traj.latest} trend={traj.trend} "
        f"negative_run={traj.consecutive_negative}"
    )
    lines.append("Transcript:")
    intents = {i.seq: i for i in p.intents}
    for t in p.transcript:
        tag = (
            f"  [{intents[t.seq].intent} {intents[t.seq].confidence:.2f}]"
            if t.seq in intents
            else ""
        )
        lines.append(f"  {t.seq:>2} {t.role.value:<8} {t.text}{tag}")
    if p.missing:
        lines.append(f"Missing at build time: {', '.join(p.missing)}")
    return "\n".join(lines)


class PacketTail:
    """Print packets published after ``start()`` returns (positions are fixed there)."""

    def __init__(
        self,
        bootstrap: str,
        *,
        session_ids: Sequence[str] | None = None,
        topic_prefix: str = "",
    ) -> None:
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None
        )
        self._sessions = set(session_ids or ())
        self._bootstrap = bootstrap
        self._topic = topic_prefix + HANDOFF_PACKETS.name  # where the services publish
        self.seen = 0

    async def start(self) -> None:
        await self._consumer.start()
        tps = await partitions_of(self._bootstrap, [self._topic])
        self._consumer.assign(tps)
        await self._consumer.seek_to_end(*tps)
        for tp in tps:
            await self._consumer.position(tp)

    async def run(self, stop: asyncio.Event) -> None:
        try:
            while not stop.is_set():
                batch = await self._consumer.getmany(timeout_ms=300)
                for records in batch.values():
                    for r in records:
                        if b'"handoff.packet"' not in (r.value or b""):
                            continue  # updates of open handoffs: the packet was printed
                        packet = HandoffPacketBuilt.model_validate_json(r.value or b"")
                        if self._sessions and packet.session_id not in self._sessions:
                            continue
                        self.seen += 1
                        print(render_packet(packet), flush=True)
        finally:
            await self._consumer.stop()
