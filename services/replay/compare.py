"""Compare two policies' outcomes on the same conversations: the check before go-live."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from services.replay.runner import Outcome


@dataclass(frozen=True)
class Comparison:
    total: int
    rate_a: float
    rate_b: float
    reasons_a: dict[str, int]
    reasons_b: dict[str, int]
    changed: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return {
            "conversations": self.total,
            "escalation_rate": {
                "a": self.rate_a,
                "b": self.rate_b,
                "delta": self.rate_b - self.rate_a,
            },
            "reasons": {
                code: {"a": self.reasons_a.get(code, 0), "b": self.reasons_b.get(code, 0)}
                for code in sorted(set(self.reasons_a) | set(self.reasons_b))
            },
            "changed": self.changed,
        }


def compare(a: Sequence[Outcome], b: Sequence[Outcome]) -> Comparison:
    """Escalation rates, reason counts, and every conversation whose outcome changes."""
    by_id = {o.conversation_id: o for o in b}
    changed = []
    for x in a:
        y = by_id[x.conversation_id]
        if (x.escalated, x.action, x.queue) != (y.escalated, y.action, y.queue):
            changed.append(
                {"conversation_id": x.conversation_id, "a": x.as_json(), "b": y.as_json()}
            )
    n = len(a) or 1
    return Comparison(
        total=len(a),
        rate_a=sum(o.escalated for o in a) / n,
        rate_b=sum(o.escalated for o in b) / n,
        reasons_a=dict(Counter(r for o in a for r in o.reasons)),
        reasons_b=dict(Counter(r for o in b for r in o.reasons)),
        changed=changed,
    )


def render(c: Comparison) -> str:
    lines = [
        f"conversations: {c.total}",
        f"escalation rate: A {c.rate_a:.1%}  B {c.rate_b:.1%}  ({c.rate_b - c.rate_a:+.1%})",
        "reasons (A -> B):",
    ]
    for code in sorted(set(c.reasons_a) | set(c.reasons_b)):
        lines.append(f"  {code:<20} {c.reasons_a.get(code, 0):>5} -> {c.reasons_b.get(code, 0):<5}")
    lines.append(f"outcome changes: {len(c.changed)}")
    for ch in c.changed:
        a, b = ch["a"], ch["b"]
        lines.append(
            f"  {ch['conversation_id']}: {a['action']}/{a['queue']} -> {b['action']}/{b['queue']}"
            f"  ({','.join(b['reasons'] or a['reasons'])})"
        )
    return "\n".join(lines)
