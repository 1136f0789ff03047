"""Load Baton's sentiment lexicon and look up word valences, inflections included."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

LEXICON_PATH = Path(__file__).parent / "data" / "sentiment_lexicon.yaml"

# Scalar boosts added in the direction of the word they modify ("very good", "a bit slow").
BOOSTERS: dict[str, float] = {
    "very": 0.3,
    "really": 0.3,
    "so": 0.25,
    "soo": 0.3,
    "sooo": 0.35,
    "extremely": 0.4,
    "super": 0.3,
    "totally": 0.3,
    "absolutely": 0.35,
    "completely": 0.3,
    "incredibly": 0.4,
    "too": 0.2,
    "most": 0.3,
    "highly": 0.3,
    "truly": 0.3,
    "utterly": 0.4,
    "seriously": 0.3,
    "such": 0.2,
    "especially": 0.2,
    "fucking": 0.4,
    "bloody": 0.3,
    "insanely": 0.4,
    "hugely": 0.3,
    "deeply": 0.3,
    "quite": 0.15,
    "pretty": 0.15,
    "damn": 0.3,
    "kinda": -0.3,
    "somewhat": -0.3,
    "slightly": -0.3,
    "barely": -0.4,
    "marginally": -0.3,
    "partly": -0.2,
    "fairly": -0.1,
    "kind of": -0.3,
    "sort of": -0.3,
    "a bit": -0.3,
    "a little": -0.3,
}

# (suffix, replacement) tried in order when a word is not in the lexicon itself.
_SUFFIXES = (
    ("'s", ""),
    ("iest", "y"),
    ("ier", "y"),
    ("ily", "y"),
    ("ies", "y"),
    ("ied", "y"),
    ("ing", ""),
    ("ing", "e"),
    ("ed", ""),
    ("ed", "e"),
    ("es", ""),
    ("s", ""),
    ("ly", ""),
    ("est", ""),
    ("er", ""),
)
_REPEATS = re.compile(r"(\w)\1{2,}")


class _LexiconFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    words: dict[float, list[str]] = Field(default_factory=dict)
    neutral: list[str] = Field(default_factory=list)
    emoticons: dict[str, float] = Field(default_factory=dict)
    phrases: dict[str, float] = Field(default_factory=dict)
    negated_only: dict[str, float] = Field(default_factory=dict)


class Lexicon:
    """Word, emoticon and phrase valences on a -4..+4 scale."""

    def __init__(
        self,
        words: dict[str, float],
        *,
        phrases: dict[str, float] | None = None,
        negated_only: dict[str, float] | None = None,
        digest: str = "custom",
    ) -> None:
        self.words = dict(words)
        self.phrases: dict[tuple[str, ...], float] = {
            tuple(phrase.lower().split()): value for phrase, value in (phrases or {}).items()
        }
        self.phrase_starts: dict[str, tuple[tuple[tuple[str, ...], float], ...]] = {}
        for words_key, value in sorted(self.phrases.items(), key=lambda item: -len(item[0])):
            current = self.phrase_starts.get(words_key[0], ())
            self.phrase_starts[words_key[0]] = (*current, (words_key, value))
        self.negated_only = dict(negated_only or {})
        self.digest = digest
        self._cache: dict[str, float | None] = {}
        self._negated_cache: dict[str, float | None] = {}

    def valence(self, word: str) -> float | None:
        """Return a lower-cased word's valence, trying elongations and inflections."""
        if word in self._cache:
            return self._cache[word]
        value = _lookup(self.words, word)
        if len(self._cache) < 200_000:  # bounded: a stream of typos must not grow memory forever
            self._cache[word] = value
        return value

    def negated_valence(self, word: str) -> float | None:
        """Return the positive value of a word that only counts when negated ("doesn't work")."""
        if word not in self._negated_cache:
            value = _lookup(self.negated_only, word)
            if len(self._negated_cache) < 200_000:
                self._negated_cache[word] = value
            return value
        return self._negated_cache[word]


def _lookup(table: dict[str, float], word: str) -> float | None:
    """Find a word, its de-elongated form ("soooo" -> "so") or its stem, in a table."""
    if word in table:
        return table[word]
    if _REPEATS.search(word):
        for candidate in (_REPEATS.sub(r"\1\1", word), _REPEATS.sub(r"\1", word)):
            if candidate in table:
                return table[candidate]
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: -len(suffix)] + replacement
            if stem in table:
                return table[stem]
            # doubled consonant before -ed/-ing: "stopped" -> "stop"
            if len(stem) >= 4 and stem[-1] == stem[-2] and stem[:-1] in table:
                return table[stem[:-1]]
    return None


def load_lexicon(path: Path | str = LEXICON_PATH) -> Lexicon:
    """Read a lexicon YAML file (the shipped one by default)."""
    raw = Path(path).read_bytes()
    parsed = _LexiconFile.model_validate(yaml.safe_load(raw) or {})
    words: dict[str, float] = {}
    for value, group in parsed.words.items():
        for word in group:
            words[str(word).lower()] = float(value)
    for word in parsed.neutral:
        words[word.lower()] = 0.0
    for emoticon, value in parsed.emoticons.items():
        words[emoticon.lower()] = value
    return Lexicon(
        words,
        phrases=parsed.phrases,
        negated_only=parsed.negated_only,
        digest=hashlib.sha256(raw).hexdigest()[:10],
    )
