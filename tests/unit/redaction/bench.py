"""Measure redaction throughput on short chat messages: `python -m tests.unit.redaction.bench`."""

from __future__ import annotations

import time

from shared.redaction import Redactor
from tests.unit.redaction.corpus import negatives, positives

PLAIN_CHAT = (
    "hi, I need help with my refund",
    "the package never arrived and I'm really annoyed",
    "can I talk to a human please",
    "thanks, that worked!",
    "it says payment failed again",
    "I want to cancel my subscription",
    "why was I charged twice this month?",
    "ok",
)


def mixes() -> dict[str, list[str]]:
    """Build message mixes from chit-chat only up to PII-heavy traffic."""
    pii = [sample.text for sample in positives()]
    lookalikes = negatives()
    plain = list(PLAIN_CHAT) * 50
    typical = plain[:280] + pii[:60] + lookalikes[:60]
    return {
        "plain chat": plain,
        "typical (70/15/15)": typical,
        "all PII": pii,
        "look-alikes": lookalikes,
    }


def throughput(redactor: Redactor, texts: list[str], *, seconds: float = 1.0) -> float:
    """Return texts per second redacted over at least `seconds` of wall time."""
    done = 0
    started = time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        for text in texts:
            redactor.redact(text)
        done += len(texts)
    return done / elapsed


def main() -> None:
    """Print throughput for each mix."""
    redactor = Redactor()
    for name, texts in mixes().items():
        print(f"{name:>20}: {throughput(redactor, texts):>9,.0f} texts/s")


if __name__ == "__main__":
    main()
