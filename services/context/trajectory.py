"""Sentiment trajectory over a session: where the customer's mood is heading."""

from __future__ import annotations

from collections.abc import Sequence

from shared.schemas.events import SentimentLabel, SentimentTrajectory, TurnSentiment

WINDOW = 5
WORSENING_SLOPE = -0.1


def slope(values: Sequence[float]) -> float:
    """Least-squares slope of values over equally spaced turns (0 for fewer than two)."""
    n = len(values)
    if n < 2:
        return 0.0
    mean_x = (n - 1) / 2
    mean_y = sum(values) / n
    num = sum((i - mean_x) * (v - mean_y) for i, v in enumerate(values))
    den = sum((i - mean_x) ** 2 for i in range(n))
    return num / den


def trajectory(points: Sequence[TurnSentiment]) -> SentimentTrajectory:
    """Summarise per-turn scores: latest, mean, recent trend and trailing negative run."""
    ordered = sorted(points, key=lambda p: p.seq)
    if not ordered:
        return SentimentTrajectory()
    scores = [p.score for p in ordered]
    trend = slope(scores[-WINDOW:])
    run = 0
    for p in reversed(ordered):
        if p.label is not SentimentLabel.NEGATIVE:
            break
        run += 1
    return SentimentTrajectory(
        points=list(ordered),
        latest=scores[-1],
        mean=round(sum(scores) / len(scores), 4),
        trend=round(trend, 4),
        consecutive_negative=run,
        worsening=trend <= WORSENING_SLOPE and scores[-1] < 0,
    )
