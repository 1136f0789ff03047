"""Score a customer's mood with our own lexicon and rules, and flag frustration and urgency.

Method. Each word, emoticon or multi-word phrase ("waste of time", "that helped") takes its
valence from the lexicon (-4..+4). Modifiers then act within the clause: boosters and dampeners in
the two words before ("very", "a bit"), a negator in the three words before ("not happy" turns
negative, "not bad" mildly positive), capitals inside a mixed-case message, and "but" (what follows
it counts 1.5 times, what precedes it half). Words such as "work" or "arrive" count only when
negated ("never arrived"). Exclamation marks and shouting add emphasis. The sum is squashed into
[-1, 1] by x / sqrt(x^2 + 15); a symmetric neutral band around 0 gives the label.

Frustration is true when a strong cue is present (a frustration keyword, or a repeat-contact phrase
such as "third time" or "already told you"), or when a weak cue ("again", "still", shouting,
repeated "!") comes with a negative label. Urgency is true when an urgency keyword is present.
Negated cues ("not frustrated", "not urgent") do not count.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from services.nlu.sentiment_cues import CueConfig, CueFinder, Cues
from services.nlu.sentiment_lexicon import BOOSTERS, Lexicon, load_lexicon
from services.nlu.settings import resolve_backend
from services.nlu.text import Token, is_negated, is_shouting, tokenize

NEGATED_POSITIVE = -0.75  # "not happy" is nearly as bad as "unhappy"
NEGATED_NEGATIVE = -0.3  # "not bad" is only mildly good
CAPS_BOOST = 0.7
BANG_BOOST = 0.3
MAX_BANGS = 4
SHOUT_BOOST = 0.6
BEFORE_BUT = 0.5
AFTER_BUT = 1.5
SQUASH_ALPHA = 15.0
BOOSTER_WINDOW = 2
# Chosen on half of the TweetEval validation split to maximise macro recall, checked on the other.
NEUTRAL_BAND = 0.3
RULES_VERSION = "1"


@dataclass(slots=True)  # made per message: a frozen one's __init__ costs five times as much
class SentimentResult:
    """A message's sentiment, its label, and the frustration and urgency cues behind them."""

    score: float  # [-1, 1]
    label: str  # negative | neutral | positive
    frustration: bool
    urgency: bool
    cues: tuple[str, ...]


class SentimentModel:
    """A fast lexicon-and-rules sentiment scorer with frustration and urgency cues."""

    def __init__(
        self,
        lexicon: Lexicon | None = None,
        cues: CueConfig | None = None,
        *,
        neutral_band: float = NEUTRAL_BAND,
    ) -> None:
        self.lexicon = lexicon or load_lexicon()
        self.neutral_band = neutral_band
        self._cues = CueFinder(cues)
        self.version = f"lexicon-rules-{RULES_VERSION}-{self.lexicon.digest}"

    def score_batch(self, texts: Sequence[str]) -> list[SentimentResult]:
        """Score many messages."""
        return [self.score(text) for text in texts]

    def score(self, text: str) -> SentimentResult:
        """Score one message."""
        tokens = tokenize(text)
        score = self._score_tokens(tokens)
        return self._result(tokens, score, self._label(score))

    def with_verdict(self, text: str, score: float, label: str) -> SentimentResult:
        """Return the cues of a message around a score and label decided elsewhere."""
        return self._result(tokenize(text), score, label)

    def _score_tokens(self, tokens: list[Token]) -> float:
        """Return the lexicon score in [-1, 1] of a tokenised message."""
        shouting = is_shouting(tokens)
        total = sum(self._valences(tokens, shouting))
        if total:
            bangs = sum(len(token.raw) for token in tokens if token.kind == "bang")
            emphasis = min(bangs, MAX_BANGS) * BANG_BOOST + (SHOUT_BOOST if shouting else 0.0)
            total += math.copysign(emphasis, total)
        return max(-1.0, min(1.0, total / math.sqrt(total * total + SQUASH_ALPHA)))

    def _result(self, tokens: list[Token], score: float, label: str) -> SentimentResult:
        """Attach frustration and urgency cues to a score and label."""
        cues = self._cues.find(tokens)
        return SentimentResult(
            score=round(score, 4),
            label=label,
            frustration=_frustrated(cues, label),
            urgency=bool(cues.urgency),
            cues=cues.all(),
        )

    def _label(self, score: float) -> str:
        """Map a score to negative, neutral or positive."""
        if score >= self.neutral_band:
            return "positive"
        if score <= -self.neutral_band:
            return "negative"
        return "neutral"

    def _valences(self, tokens: list[Token], shouting: bool) -> list[float]:
        """Return each token's modified valence (0 for tokens that carry none)."""
        values = [0.0] * len(tokens)
        phrase_end = 0
        for index, token in enumerate(tokens):
            if index < phrase_end or not (token.is_word or token.kind in {"emo", "emoji"}):
                continue
            phrase = (
                self._phrase_at(tokens, index) if token.norm in self.lexicon.phrase_starts else None
            )
            if phrase is not None:
                length, value = phrase
                phrase_end = index + length
            else:
                value = self._word_value(tokens, index)
            if not value:
                continue
            direction = 1.0 if value > 0 else -1.0
            value += direction * _boost(tokens, index)  # signed: dampeners shrink the value
            if value * direction <= 0:  # dampened to nothing, never past zero
                continue
            if token.raw.isupper() and len(token.raw) > 1 and not shouting:
                value += direction * CAPS_BOOST
            if phrase is None and is_negated(tokens, index):
                value *= NEGATED_POSITIVE if value > 0 else NEGATED_NEGATIVE
            values[index] = value
        return _apply_but(tokens, values)

    def _phrase_at(self, tokens: list[Token], index: int) -> tuple[int, float] | None:
        """Return (length, valence) of the longest lexicon phrase starting at `index`."""
        for words, value in self.lexicon.phrase_starts.get(tokens[index].norm, ()):
            window = tokens[index : index + len(words)]
            if len(window) == len(words) and all(
                token.is_word and token.norm == word
                for token, word in zip(window, words, strict=True)
            ):
                return len(words), value
        return None

    def _word_value(self, tokens: list[Token], index: int) -> float:
        """Return a single word's valence, or a negated-only word's value when negated."""
        norm = tokens[index].norm
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if (
            norm in BOOSTERS
            and following is not None
            and following.is_word
            and self.lexicon.valence(following.norm)
        ):
            return 0.0  # "pretty bad": here "pretty" only intensifies
        value = self.lexicon.valence(norm)
        if value is not None:
            return value
        negated_only = self.lexicon.negated_valence(norm)
        if negated_only is not None and is_negated(tokens, index):
            return negated_only  # flipped to negative by the negation step
        return 0.0


def _boost(tokens: list[Token], index: int) -> float:
    """Sum booster and dampener effects from the words just before a sentiment word."""
    total = 0.0
    seen = 0
    for position in range(index - 1, -1, -1):
        token = tokens[position]
        if token.breaks_clause or seen >= BOOSTER_WINDOW:
            break
        if token.is_word:
            seen += 1
            total += BOOSTERS.get(token.norm, 0.0)
            if position > 0:
                total += BOOSTERS.get(f"{tokens[position - 1].norm} {token.norm}", 0.0)
    return total


def _apply_but(tokens: list[Token], values: list[float]) -> list[float]:
    """Weigh what follows the last 'but' above what precedes it."""
    positions = [i for i, token in enumerate(tokens) if token.norm in {"but", "however"}]
    if not positions:
        return values
    pivot = positions[-1]
    return [v * (BEFORE_BUT if i < pivot else AFTER_BUT) for i, v in enumerate(values)]


def _frustrated(cues: Cues, label: str) -> bool:
    """Decide frustration: any strong cue, or a weak cue in a negative message."""
    weak = bool(cues.weak) or cues.shouting or cues.exclamations
    return bool(cues.strong) or (weak and label == "negative")


class SentimentScorer(Protocol):
    """What the sentiment service needs from any backend."""

    version: str

    def score_batch(self, texts: Sequence[str]) -> list[SentimentResult]: ...


def load_default(*, backend: str | None = None) -> SentimentScorer:
    """Build the sentiment scorer for the backend asked for, else ``BATON_NLU_BACKEND``.

    ``fast`` is the lexicon-and-rules model; ``accurate`` adds the shipped embedding classifier
    (see ``sentiment_accurate``) and keeps the same cues.
    """
    if resolve_backend(backend) == "accurate":
        from services.nlu.sentiment_accurate import load_accurate

        return load_accurate(SentimentModel())
    return SentimentModel()
