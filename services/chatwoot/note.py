"""The private note an agent reads in Chatwoot: summary, why a person is needed, known facts."""

from __future__ import annotations

from shared.schemas.events import HandoffPacketBuilt


def render_note(packet: HandoffPacketBuilt, *, max_chars: int = 10_000) -> str:
    """Return the packet as a short Markdown note (Chatwoot renders Markdown in notes)."""
    lines = [
        f"**Baton handoff**: queue {packet.queue}, priority {packet.priority} (1 is most urgent)",
        "",
        packet.summary.strip() or "(no summary)",
    ]
    if packet.reasons:
        lines += ["", "**Why a person is needed**"]
        for r in packet.reasons:
            turns = f" (turn {', '.join(str(t) for t in r.turns)})" if r.turns else ""
            lines.append(f"- {_one_line(r.detail)}{turns}")
    if packet.facts:
        lines += ["", "**Already told us, do not ask again**"]
        for f in packet.facts:
            kind = f.kind.replace("_", " ").capitalize()
            lines.append(f"- {kind}: {_one_line(f.value)} (turn {f.seq})")
    extra: list[str] = []
    if packet.customer is not None:
        who = packet.customer.name or packet.customer.customer_id
        tier = f", {packet.customer.tier} tier" if packet.customer.tier else ""
        extra.append(f"Customer: {who}{tier}.")
    if packet.repeat_contact:
        extra.append("Repeat contact about the same issue.")
    if not packet.complete and packet.missing:
        extra.append(f"Built before these analyses arrived: {', '.join(packet.missing)}.")
    if packet.sla_seconds is not None:
        extra.append(f"Answer within {packet.sla_seconds} s.")
    if extra:
        lines += ["", *extra]
    lines += ["", f"Packet {packet.packet_id}, episode {packet.episode}"]
    return _clip("\n".join(lines), max_chars)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
