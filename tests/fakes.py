"""In-memory doubles of the NLU models: keyword rules, deterministic, for unit tests."""

from __future__ import annotations

import re
from collections.abc import Sequence

from services.nlu.intent_model import IntentPrediction
from services.nlu.sentiment_model import SentimentResult
from shared.schemas.events import Entity

KEYWORDS = {
    "human_request": ("person", "human", "agent"),
    "order_status": ("order", "package", "delivery"),
    "fraud_unauthorized": ("didn't make", "fraud", "stolen"),
    "billing_dispute": ("charged twice", "dispute"),
    "store_hours_faq": ("open", "hours"),
    "greeting_smalltalk": ("thanks", "thank you", "hello"),
}
TOPICS = {"fraud_unauthorized": "fraud", "billing_dispute": "billing_dispute"}


class KeywordIntents:
    version = "fake-1"

    def predict_batch(self, texts: Sequence[str]) -> list[IntentPrediction]:
        out = []
        for text in texts:
            low = text.lower()
            hit = next((i for i, words in KEYWORDS.items() if any(w in low for w in words)), None)
            out.append(
                IntentPrediction(
                    intent=hit or "oos",
                    confidence=0.9 if hit else 0.2,
                    in_scope=hit is not None,
                    alternatives=((hit or "oos", 0.9 if hit else 0.2),),
                )
            )
        return out


class FakeCatalog:
    def tier(self, intent: str) -> str:
        return "sensitive" if intent in TOPICS else "routine"

    def topic(self, intent: str) -> str | None:
        return TOPICS.get(intent)


def fake_entities(text: str) -> list[Entity]:
    return [
        Entity(kind="order_number", value=m.group(1), text=m.group(0))
        for m in re.finditer(r"#(\w+)", text)
    ]


NEGATIVE = ("ridiculous", "useless", "terrible", "angry", "worst")


class KeywordSentiment:
    version = "fake-1"

    def score_batch(self, texts: Sequence[str]) -> list[SentimentResult]:
        out = []
        for text in texts:
            neg = any(w in text.lower() for w in NEGATIVE)
            out.append(
                SentimentResult(
                    score=-0.7 if neg else 0.1,
                    label="negative" if neg else "neutral",
                    frustration=neg,
                    urgency=False,
                    cues=("keyword:ridiculous",) if neg else (),
                )
            )
        return out
