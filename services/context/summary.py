"""A short, readable summary so the agent knows the case before reading the transcript."""

from __future__ import annotations

from collections.abc import Sequence

from shared.schemas.events import Fact, Reason, SentimentTrajectory, TranscriptLine, TurnIntent

UNKNOWN = {"oos", "unknown"}


def humanise(intent: str) -> str:
    return intent.replace("_", " ")


def summarise(
    *,
    transcript: Sequence[TranscriptLine],
    intents: Sequence[TurnIntent],
    facts: Sequence[Fact],
    sentiment: SentimentTrajectory,
    reasons: Sequence[Reason],
    repeat_contact: bool,
) -> str:
    """Say what the customer wants, what they already said, how they feel and why we escalate."""
    understood = [i for i in intents if i.in_scope and i.intent not in UNKNOWN]
    wants: list[str] = []
    for i in understood:
        name = humanise(i.intent)
        if name not in wants and i.intent not in {"greeting_smalltalk", "human_request"}:
            wants.append(name)
    first = next((t.text for t in transcript if t.role.value == "customer"), "")
    parts: list[str] = []
    if wants:
        parts.append("Customer wants help with " + ", then ".join(wants[:3]) + ".")
    elif first:
        parts.append(f'Customer opened with: "{_clip(first, 140)}".')
    if facts:
        given = "; ".join(f"{f.kind.replace('_', ' ')} {f.value}" for f in facts[:8])
        parts.append(f"Already provided: {given}.")
    if sentiment.latest is not None:
        parts.append(_mood(sentiment))
    if repeat_contact:
        parts.append("Repeat contact about the same issue.")
    if reasons:
        parts.append("Escalated: " + "; ".join(r.detail for r in reasons) + ".")
    return " ".join(parts)


def _mood(sentiment: SentimentTrajectory) -> str:
    """The sentiment model's own verdict on the latest turn, then any frustration or urgency.

    The label, not the sign of the score: a score the model calls neutral must not read as
    "positive" to the agent.
    """
    mood = sentiment.points[-1].label.value if sentiment.points else "unknown"
    trend = " and worsening" if sentiment.worsening else ""
    text = f"Mood is {mood}{trend} (latest {sentiment.latest:+.2f})."
    frustrated = [str(p.seq) for p in sentiment.points if p.frustration]
    urgent = [str(p.seq) for p in sentiment.points if p.urgency]
    if frustrated:
        text += f" Frustration shown in turn {', '.join(frustrated)}."
    if urgent:
        text += f" Urgency in turn {', '.join(urgent)}."
    return text


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
