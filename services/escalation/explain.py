"""Read back and render the decision history of a live session."""

from __future__ import annotations

from services.escalation.session import DECISION_LOG, NAMESPACE
from shared.schemas.events import EscalationDecided
from shared.state.base import StateStore, session_key


async def decision_history(
    store: StateStore, tenant_id: str, session_id: str
) -> list[EscalationDecided]:
    """Every decision taken in a session, in turn order.

    Sessions written before decisions had a hash of their own keep them in the session's
    hash: both are read, so they explain until they expire.
    """
    logged, legacy = await store.read_many(
        [session_key(tenant_id, session_id, k) for k in (DECISION_LOG, NAMESPACE)]
    )
    found = {
        k: EscalationDecided.model_validate_json(v)
        for fields in (legacy, logged)
        for k, v in fields.items()
        if k.startswith("dec:")
    }
    return sorted(found.values(), key=lambda d: d.seq)


def render(decisions: list[EscalationDecided]) -> str:
    """One block per decision: action, where it goes, every reason and near miss with evidence."""
    if not decisions:
        return (
            "no decisions recorded for this session: unknown id, other tenant, expired, or "
            "every turn was a plain continue with no rule near firing"
        )
    lines: list[str] = []
    for d in decisions:
        head = f"turn {d.seq:>3}  episode {d.episode}  {d.action.value.upper()}"
        if d.action.value != "continue":
            head += f" -> queue {d.queue}, priority {d.priority}, SLA {d.sla_seconds}s"
        if d.update:
            head += " (update of open handoff)"
        lines.append(head + f"   [policy {d.policy_version} #{d.policy_hash}]")
        for r in d.reasons:
            lines.append(f"    fired  {r.code:<19} {r.detail}  turns={r.turns} {dict(r.evidence)}")
        for r in d.near_misses:
            lines.append(f"    near   {r.code:<19} {r.detail}")
    return "\n".join(lines)
