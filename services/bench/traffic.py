"""Synthetic conversations for the benchmark: routine ones, and a share that must escalate."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from shared.schemas.envelope import derived_id, utcnow
from shared.schemas.events import Channel, ConversationTurn, Role

ROUTINE = (
    "Where is my order #{n}? It should have arrived by now",
    "Can you tell me when package {n} will be delivered",
    "I need to return the shoes from order {n}, they don't fit",
    "How do I reset my password, I can't log in",
    "What time does the store on Main Street open on Saturday",
    "Can I change the delivery address for order #{n}",
    "Is the blue jacket available in medium",
    "How much is shipping to Canada",
    "ok thanks",
    "I'd like to update the email on my account",
)
BOT = (
    "Let me look that up for you.",
    "Your order is on its way and should arrive in 2 days.",
    "You can reset your password from the login page.",
    "Is there anything else I can help with?",
)
ESCALATING = (
    "This is useless, I want to talk to a real person now",
    "There's a charge of $749.99 on my card I didn't make",
    "I've asked three times already, get me a human agent",
)


def conversation(
    tenant: str, session: str, *, customer_turns: int, escalate: bool, rng: random.Random
) -> list[ConversationTurn]:
    """Alternate customer and bot turns; an escalating one ends with a clear trigger.

    Routine ones make progress: the customer asks about different things and the bot never
    repeats itself, so the policy has no reason to hand them off.
    """
    turns: list[ConversationTurn] = []
    start = utcnow()
    asks = rng.sample(ROUTINE, customer_turns)
    answers = rng.sample(BOT, min(len(BOT), customer_turns - 1))
    seq = 0
    for i in range(customer_turns):
        seq += 1
        last = i == customer_turns - 1
        text = (rng.choice(ESCALATING) if escalate and last else asks[i]).format(
            n=rng.randint(10000, 99999)
        )
        turns.append(_turn(tenant, session, seq, Role.CUSTOMER, text, start))
        if not last:
            seq += 1
            answer = answers[i % len(answers)]
            turns.append(_turn(tenant, session, seq, Role.BOT, answer, start))
    return turns


def _turn(
    tenant: str, session: str, seq: int, role: Role, text: str, start: datetime
) -> ConversationTurn:
    return ConversationTurn(
        event_id=derived_id(tenant, session, seq, "bench"),
        tenant_id=tenant,
        session_id=session,
        seq=seq,
        role=role,
        text=text,
        channel=Channel.CHAT,
        customer_id=f"B-{session}",  # unique per run: no history from earlier runs
        occurred_at=start + timedelta(milliseconds=seq),
    )
