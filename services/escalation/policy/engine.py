"""Combine every trigger's verdict into one explained decision."""

from __future__ import annotations

from dataclasses import dataclass

from services.escalation.policy.triggers import TRIGGERS, Check
from services.escalation.session import SessionView
from shared.policy.loader import LoadedPolicy
from shared.schemas.events import Action, Reason

_RANK = {"continue": 0, "offer_human": 1, "transfer": 2}


@dataclass(slots=True)  # made per message: a frozen one's __init__ costs five times as much
class Verdict:
    """What to do now, every rule that fired, the near misses, and where the handoff goes."""

    action: Action
    reasons: tuple[Reason, ...]
    near_misses: tuple[Reason, ...]
    priority: int
    queue: str
    sla_seconds: int
    policy_version: str
    policy_hash: str


def evaluate(view: SessionView, loaded: LoadedPolicy) -> Verdict:
    """Run every trigger of the policy on the session and combine the results.

    The strongest action wins; every trigger that fired is reported, so a decision
    always says why. A specialist queue (topic, then amount, then VIP team) beats the
    default queue; priority is the most urgent of the fired reasons, raised for VIPs.
    """
    policy = loaded.policy
    checks: list[Check] = [trigger(view, policy) for trigger in TRIGGERS]
    fired = [c for c in checks if c.reason is not None]
    action_name = max((c.action for c in fired), key=_RANK.__getitem__, default="continue")
    reasons = tuple(c.reason for c in fired if c.reason is not None)
    near = tuple(c.near_miss for c in checks if c.near_miss is not None)
    queue = next((c.queue for c in fired if c.queue and c.action != "continue"), None)
    vip = next((c for c in fired if c.reason is not None and c.reason.code == "vip"), None)
    escalating = [c for c in fired if c.action != "continue"]
    if queue is None and vip is not None and escalating:
        queue = vip.queue
    priorities = [
        c.priority
        if c.priority is not None
        else policy.routing.priorities.get(c.reason.code if c.reason else "", 3)
        for c in escalating
    ]
    priority = min(priorities, default=4)
    if vip is not None and escalating:
        priority = max(1, priority - policy.triggers.vip.priority_boost)
    channel = view.channel if view.channel in policy.sla_seconds else "chat"
    return Verdict(
        action=Action(action_name),
        reasons=reasons,
        near_misses=near,
        priority=priority,
        queue=queue or (policy.routing.default_queue if escalating else "bot"),
        sla_seconds=policy.sla_seconds.get(channel, 120),
        policy_version=loaded.version,
        policy_hash=loaded.content_hash,
    )
