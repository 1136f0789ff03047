"""One function per trigger: does it fire, how close did it come, and on what evidence.

Each returns a ``Check``; the engine combines them. Reason codes are stable API.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from services.escalation.session import SessionView, TurnView
from shared.policy.model import ActionName, Policy
from shared.schemas.events import Reason

HUMAN_INTENT = "human_request"
NOT_AN_ISSUE = {"oos", "greeting_smalltalk", HUMAN_INTENT}
NEGATIONS = {
    "not",
    "no",
    "never",
    "nor",
    "isn't",
    "wasn't",
    "aren't",
    "don't",
    "didn't",
    "im",
}

_HUMAN_WORDS = (
    r"(?:human(?!\s+resources)|person|people|agent|representative|rep|operator"
    r"|manager|supervisor|someone|somebody|staff)"
)
_EXPLICIT = re.compile(
    r"\b(?:"
    rf"(?:talk|speak|chat)\s+(?:to|with)\s+(?:a|an|the|your|some)?\s*(?:real|live|actual)?\s*{_HUMAN_WORDS}"
    rf"|(?:want|need|get\s+me|give\s+me|connect\s+me\s+(?:to|with)|transfer\s+me\s+to)\s+"
    rf"(?:a|an|the|your)?\s*(?:real|live|actual)?\s*{_HUMAN_WORDS}"
    rf"|(?:real|live|actual)\s+{_HUMAN_WORDS}"
    r")\b",
    re.IGNORECASE,
)


@dataclass(slots=True)  # made per message: a frozen one's __init__ costs five times as much
class Check:
    """A trigger's verdict: the action it asks for, its reason, or a near miss."""

    action: ActionName = "continue"
    reason: Reason | None = None
    near_miss: Reason | None = None
    queue: str | None = None
    priority: int | None = None


NONE = Check()
Trigger = Callable[[SessionView, Policy], Check]


@lru_cache(maxsize=256)
def _matcher(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """One alternation for a whole phrase list: one scan per turn instead of one per phrase."""
    parts = sorted((r"\s+".join(map(re.escape, p.lower().split())) for p in phrases), key=len)
    return re.compile(r"\b(?:" + "|".join(reversed(parts)) + r")\b")


def _negated(text: str, start: int) -> bool:
    """True when one of the three words before ``start`` negates it ("not frustrated")."""
    before = re.findall(r"[a-z']+", text[:start].lower())[-3:]
    return any(w in NEGATIONS or w.endswith("n't") for w in before)


def _find(text: str, phrases: Sequence[str]) -> str | None:
    return _find_cached(text, tuple(phrases)) if phrases else None


def _first_phrase(turns: Sequence[TurnView], phrases: Sequence[str]) -> tuple[TurnView, str] | None:
    """The first customer turn that says one of the phrases (not negated), and the phrase."""
    for t in turns:
        if found := _find(t.text, phrases):
            return t, found
    return None


# Every decision re-reads the episode's earlier turns: remember what each text matched.
@lru_cache(maxsize=8192)
def _find_cached(text: str, phrases: tuple[str, ...]) -> str | None:
    low = text.lower()
    for m in _matcher(phrases).finditer(low):
        if not _negated(low, m.start()):
            return " ".join(m.group(0).split())
    return None


def explicit_request(view: SessionView, policy: Policy) -> Check:
    """Always honour a customer asking for a person."""
    cfg = policy.triggers.explicit_request
    if not cfg.enabled:
        return NONE
    near: Reason | None = None
    for t in view.customer_turns:
        match = _explicit(t.text)
        phrase = None if match else _find(t.text, cfg.phrases)
        by_intent = t.intent == HUMAN_INTENT and t.confidence >= cfg.min_confidence
        if match or phrase or by_intent:
            return Check(
                cfg.action,
                Reason(
                    code="explicit_request",
                    detail=f"customer asked for a person in turn {t.seq}",
                    turns=[t.seq],
                    evidence={
                        "matched": match or phrase,
                        "intent": t.intent,
                        "confidence": round(t.confidence, 3),
                    },
                ),
            )
        if (
            t.intent == HUMAN_INTENT
            and t.confidence >= cfg.min_confidence - policy.near_miss_margin
        ):
            near = Reason(
                code="explicit_request",
                detail=f"turn {t.seq} may ask for a person (confidence {t.confidence:.2f})",
                turns=[t.seq],
                evidence={"confidence": round(t.confidence, 3), "needed": cfg.min_confidence},
            )
    return Check(near_miss=near)


def misunderstood(view: SessionView, policy: Policy) -> Check:
    """Hand off when the bot fails to understand the customer repeatedly."""
    cfg = policy.triggers.misunderstood
    if not cfg.enabled:
        return NONE
    missed = [t for t in view.customer_turns if not t.in_scope or t.confidence < cfg.min_confidence]
    evidence = {
        "count": len(missed),
        "limit": cfg.turns,
        "confidences": [round(t.confidence, 3) for t in missed],
    }
    seqs = [t.seq for t in missed]
    if len(missed) >= cfg.turns:
        detail = f"{len(missed)} turns not understood (limit {cfg.turns})"
        return Check(
            cfg.action, Reason(code="misunderstood", detail=detail, turns=seqs, evidence=evidence)
        )
    if cfg.offer_at is not None and len(missed) >= cfg.offer_at:
        detail = f"{len(missed)} turn(s) not understood; offer a person"
        return Check(
            "offer_human",
            Reason(code="misunderstood", detail=detail, turns=seqs, evidence=evidence),
        )
    if missed and len(missed) == cfg.turns - 1:
        detail = f"{len(missed)} of {cfg.turns} misunderstood turns"
        return Check(
            near_miss=Reason(code="misunderstood", detail=detail, turns=seqs, evidence=evidence)
        )
    return NONE


@lru_cache(maxsize=8192)
def _explicit(text: str) -> str | None:
    match = _EXPLICIT.search(text)
    return match.group(0) if match else None


@lru_cache(maxsize=8192)
def _normal(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def no_progress(view: SessionView, policy: Policy) -> Check:
    """Hand off when the bot repeats itself, or the customer keeps asking the same thing."""
    cfg = policy.triggers.no_progress
    if not cfg.enabled:
        return NONE
    seen: dict[str, list[int]] = {}
    for seq, text in view.bot_turns:
        seen.setdefault(_normal(text), []).append(seq)
    repeats = max(seen.values(), key=len, default=[])
    asked: dict[str, list[int]] = {}
    for t in view.customer_turns:
        if t.in_scope and t.intent not in NOT_AN_ISSUE:
            asked.setdefault(t.intent, []).append(t.seq)
    intent, same = max(asked.items(), key=lambda kv: len(kv[1]), default=("", []))
    bot_count = len(view.bot_turns)
    if len(repeats) >= cfg.bot_repeats:
        return Check(
            cfg.action,
            Reason(
                code="no_progress",
                detail=f"the bot gave the same answer {len(repeats)} times",
                turns=repeats,
                evidence={"kind": "bot_repeats", "count": len(repeats), "limit": cfg.bot_repeats},
            ),
        )
    if len(same) >= cfg.same_intent_turns:
        return Check(
            cfg.action,
            Reason(
                code="no_progress",
                detail=f"customer asked about {intent.replace('_', ' ')} {len(same)} times",
                turns=same,
                evidence={"kind": "same_intent", "intent": intent, "count": len(same)},
            ),
        )
    if bot_count >= cfg.bot_turns_without_resolution:
        return Check(
            cfg.action,
            Reason(
                code="no_progress",
                detail=f"{bot_count} bot turns without resolution",
                turns=[s for s, _ in view.bot_turns],
                evidence={"kind": "bot_turns", "count": bot_count},
            ),
        )
    # One short of firing, and already a repetition (a single answer is not "repeated once").
    near_same = len(same) >= 2 and len(same) == cfg.same_intent_turns - 1
    near_repeat = len(repeats) >= 2 and len(repeats) == cfg.bot_repeats - 1
    if near_same or near_repeat:
        return Check(
            near_miss=Reason(
                code="no_progress",
                detail=f"{intent or 'an answer'} repeated {max(len(same), len(repeats))} times",
                turns=same or repeats,
                evidence={"same_intent": len(same), "bot_repeats": len(repeats)},
            )
        )
    return NONE


def _slope(values: Sequence[float]) -> float:
    n = len(values)
    if n < 2:
        return 0.0
    mx, my = (n - 1) / 2, sum(values) / n
    num = sum((i - mx) * (v - my) for i, v in enumerate(values))
    return num / sum((i - mx) ** 2 for i in range(n))


def negative_sentiment(view: SessionView, policy: Policy) -> Check:
    """Hand off on repeated or very negative sentiment, or a mood getting steadily worse."""
    cfg = policy.triggers.negative_sentiment
    if not cfg.enabled or not view.customer_turns:
        return NONE
    turns = view.customer_turns
    negative = [t for t in turns if t.label == "negative"]
    worst = min(turns, key=lambda t: t.score)
    recent = [t.score for t in turns[-cfg.worsening_min_turns :]]
    slope = _slope(recent) if len(recent) >= cfg.worsening_min_turns else 0.0
    evidence: dict[str, object] = {
        "negative_turns": len(negative),
        "limit": cfg.turns,
        "worst": round(worst.score, 3),
        "threshold": cfg.score_threshold,
        "slope": round(slope, 3),
    }
    seqs = [t.seq for t in negative]
    if len(negative) >= cfg.turns:
        detail = f"{len(negative)} negative turns (limit {cfg.turns})"
    elif worst.score <= cfg.score_threshold:
        detail, seqs = f"very negative turn {worst.seq} ({worst.score:+.2f})", [worst.seq]
    elif slope <= cfg.worsening_slope and turns[-1].score < 0:
        detail = f"sentiment worsening by {slope:+.2f} per turn"
        seqs = [t.seq for t in turns[-cfg.worsening_min_turns :]]
    else:
        detail = ""
    if detail:
        return Check(
            cfg.action,
            Reason(code="negative_sentiment", detail=detail, turns=seqs, evidence=evidence),
        )
    if cfg.offer_at is not None and len(negative) >= cfg.offer_at:
        return Check(
            "offer_human",
            Reason(
                code="negative_sentiment",
                detail=f"{len(negative)} negative turn(s); offer a person",
                turns=seqs,
                evidence=evidence,
            ),
        )
    if (
        worst.score <= cfg.score_threshold + policy.near_miss_margin
        or len(negative) == cfg.turns - 1
    ):
        return Check(
            near_miss=Reason(
                code="negative_sentiment",
                detail=f"worst score {worst.score:+.2f}, {len(negative)} negative turn(s)",
                turns=[worst.seq],
                evidence=evidence,
            )
        )
    return NONE


def frustration(view: SessionView, policy: Policy) -> Check:
    """Hand off on the operator's frustration and urgency words (negation-aware)."""
    cfg = policy.triggers.frustration
    if not cfg.enabled:
        return NONE
    if hit := _first_phrase(view.customer_turns, cfg.keywords):
        t, word = hit
        return Check(
            cfg.action,
            Reason(
                code="frustration",
                detail=f'"{word}" in turn {t.seq}',
                turns=[t.seq],
                evidence={"matched": word, "cues": list(t.cues)},
            ),
        )
    cued = [t for t in view.customer_turns if t.frustration or t.urgency]
    if cued and cfg.offer_on_cue:
        t = cued[-1]
        return Check(
            "offer_human",
            Reason(
                code="frustration",
                detail=f"frustration cues in turn {t.seq}: {', '.join(t.cues) or 'model flag'}",
                turns=[t.seq],
                evidence={"cues": list(t.cues)},
            ),
        )
    return NONE


def repeat_contact(view: SessionView, policy: Policy) -> Check:
    """Hand off when the customer has been here before about the same issue."""
    cfg = policy.triggers.repeat_contact
    if not cfg.enabled:
        return NONE
    if hit := _first_phrase(view.customer_turns, cfg.phrases):
        t, phrase = hit
        return Check(
            cfg.action,
            Reason(
                code="repeat_contact",
                detail=f'customer says they contacted us before ("{phrase}", turn {t.seq})',
                turns=[t.seq],
                evidence={"matched": phrase},
            ),
        )
    issues = {t.intent for t in view.customer_turns if t.in_scope and t.intent not in NOT_AN_ISSUE}
    horizon = view.now - timedelta(days=cfg.history_days)
    for past in view.history:
        same = issues.intersection(past.intents)
        if past.at >= horizon and same:
            return Check(
                cfg.action,
                Reason(
                    code="repeat_contact",
                    detail=f"same issue ({', '.join(sorted(same))}) in session {past.session_id}",
                    evidence={
                        "session": past.session_id,
                        "at": past.at.isoformat(),
                        "outcome": past.outcome,
                    },
                ),
            )
    return NONE


def sensitive_topic(view: SessionView, policy: Policy) -> Check:
    """Route fraud, security, disputes, legal and health matters to specialists."""
    cfg = policy.triggers.sensitive_topic
    if not cfg.enabled:
        return NONE
    near: Reason | None = None
    for t in view.customer_turns:
        if t.topic is None or t.topic not in cfg.topics:
            continue
        route = cfg.topics[t.topic]
        if t.in_scope and t.confidence >= cfg.min_confidence:
            return Check(
                cfg.action,
                Reason(
                    code="sensitive_topic",
                    detail=f"{t.topic.replace('_', ' ')} raised in turn {t.seq}",
                    turns=[t.seq],
                    evidence={
                        "topic": t.topic,
                        "intent": t.intent,
                        "confidence": round(t.confidence, 3),
                    },
                ),
                queue=route.queue,
                priority=route.priority,
            )
        near = Reason(
            code="sensitive_topic",
            detail=f"possible {t.topic} in turn {t.seq} (confidence {t.confidence:.2f})",
            turns=[t.seq],
            evidence={"topic": t.topic, "confidence": round(t.confidence, 3)},
        )
    return Check(near_miss=near)


def amount_threshold(view: SessionView, policy: Policy) -> Check:
    """Hand off payments or disputes above the limit."""
    cfg = policy.triggers.amount_threshold
    if not cfg.enabled:
        return NONE
    in_context = any(t.intent in cfg.context_intents for t in view.customer_turns)
    best: tuple[float, TurnView] | None = None
    for t in view.customer_turns:
        for e in t.entities:
            if e.get("kind") != "amount" or e.get("amount") is None:
                continue
            currency = str(e.get("currency") or cfg.currency).upper()
            if currency != cfg.currency.upper():
                continue
            amount = float(e["amount"])
            if best is None or amount > best[0]:
                best = (amount, t)
    if best is None or not in_context:
        return NONE
    amount, t = best
    evidence = {"amount": amount, "currency": cfg.currency, "limit": cfg.limit}
    if amount > cfg.limit:
        return Check(
            cfg.action,
            Reason(
                code="amount_threshold",
                detail=f"{amount:,.2f} {cfg.currency} in turn {t.seq} is above {cfg.limit:,.0f}",
                turns=[t.seq],
                evidence=evidence,
            ),
            queue=cfg.queue,
        )
    if amount >= cfg.limit * (1 - policy.near_miss_margin):
        return Check(
            near_miss=Reason(
                code="amount_threshold",
                detail=f"{amount:,.2f} {cfg.currency} is close to the {cfg.limit:,.0f} limit",
                turns=[t.seq],
                evidence=evidence,
            )
        )
    return NONE


def vip(view: SessionView, policy: Policy) -> Check:
    """Recognise high-value customers: priority and a specialist team when handed off."""
    cfg = policy.triggers.vip
    p = view.profile
    if not cfg.enabled or p is None:
        return NONE
    by_tier = p.tier is not None and p.tier.lower() in {x.lower() for x in cfg.tiers}
    by_value = (
        cfg.min_lifetime_value is not None
        and p.lifetime_value is not None
        and p.lifetime_value >= cfg.min_lifetime_value
    )
    if not (by_tier or by_value):
        return NONE
    return Check(
        cfg.action,
        Reason(
            code="vip",
            detail=f"high-value customer ({p.tier or 'value'} {p.lifetime_value or ''})".strip(),
            evidence={"tier": p.tier, "lifetime_value": p.lifetime_value},
        ),
        queue=cfg.queue,
    )


TRIGGERS: tuple[Trigger, ...] = (
    explicit_request,
    sensitive_topic,
    amount_threshold,
    misunderstood,
    no_progress,
    negative_sentiment,
    frustration,
    repeat_contact,
    vip,
)
