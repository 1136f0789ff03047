"""Find frustration, repeat-contact, shouting and urgency cues, skipping negated ones."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from services.nlu.text import Token, is_negated, is_shouting, tokenize

DEFAULT_FRUSTRATION = (
    "frustrated",
    "frustrating",
    "frustration",
    "annoyed",
    "annoying",
    "fed up",
    "ridiculous",
    "unacceptable",
    "complaint",
    "complain",
    "waste of time",
    "wasting my time",
    "useless",
    "pathetic",
    "sick of",
    "sick and tired",
    "had enough",
    "enough is enough",
    "angry",
    "furious",
    "livid",
    "fuming",
    "outrageous",
    "disgusted",
    "disgraceful",
    "incompetent",
    "hopeless",
    "what a joke",
    "this is a joke",
    "worst",
    "terrible service",
)
DEFAULT_REPEAT = (
    "second time",
    "third time",
    "fourth time",
    "fifth time",
    "2nd time",
    "3rd time",
    "4th time",
    "three times",
    "four times",
    "several times",
    "multiple times",
    "many times",
    "how many times",
    "already told you",
    "already told",
    "already explained",
    "already said",
    "already asked",
    "keep asking",
    "keep telling",
    "keep having to",
    "over and over",
    "again and again",
    "yet again",
    "once again",
    "for the last time",
    "still waiting",
    "still not",
    "still haven't",
    "still hasn't",
    "still no",
    "still nothing",
    "called before",
    "contacted you before",
    "every single time",
    # The bot repeating itself, in the customer's words.
    "that's what you said",
    "that is what you said",
    "you said that last time",
    "you said the same",
    "same answer",
    "same thing last time",
    "told me that last time",
)
DEFAULT_WEAK_REPEAT = ("again", "still")
DEFAULT_URGENCY = (
    "urgent",
    "urgently",
    "asap",
    "as soon as possible",
    "immediately",
    "right now",
    "right away",
    "emergency",
    "time sensitive",
)
_THANKS = frozenset({"thanks", "thank", "thx", "ty", "cheers"})


@dataclass(frozen=True)
class CueConfig:
    """Keyword and phrase lists that signal frustration, repeat contact and urgency."""

    frustration_keywords: tuple[str, ...] = DEFAULT_FRUSTRATION
    repeat_phrases: tuple[str, ...] = DEFAULT_REPEAT
    weak_repeat_phrases: tuple[str, ...] = DEFAULT_WEAK_REPEAT
    urgency_keywords: tuple[str, ...] = DEFAULT_URGENCY


@dataclass(slots=True)  # made per message: a frozen one's __init__ costs five times as much
class Cues:
    """Cues found in one message; strong ones alone mean frustration, weak ones need negativity."""

    strong: tuple[str, ...] = ()
    weak: tuple[str, ...] = ()
    urgency: tuple[str, ...] = ()
    shouting: bool = False
    exclamations: bool = False

    def all(self) -> tuple[str, ...]:
        """Return every cue as a tagged string, in a stable order."""
        extra = (("shouting",) if self.shouting else ()) + (
            ("exclamations",) if self.exclamations else ()
        )
        return self.strong + self.weak + extra + self.urgency


@dataclass
class _Trie:
    """Phrases by first token, longest first, for a single left-to-right scan."""

    by_first: dict[str, list[tuple[tuple[str, ...], str]]] = field(default_factory=dict)

    def add(self, phrases: Iterable[str], tag: str) -> None:
        """Register phrases under a cue tag."""
        for phrase in phrases:
            words = tuple(token.norm for token in tokenize(phrase))
            if words:
                self.by_first.setdefault(words[0], []).append((words, tag))
        for entries in self.by_first.values():
            entries.sort(key=lambda entry: -len(entry[0]))


class CueFinder:
    """Scan token lists for the cues in a `CueConfig`."""

    def __init__(self, config: CueConfig | None = None) -> None:
        self.config = config or CueConfig()
        self._trie = _Trie()
        self._trie.add(self.config.frustration_keywords, "keyword")
        self._trie.add(self.config.repeat_phrases, "repeat")
        self._trie.add(self.config.weak_repeat_phrases, "weak")
        self._trie.add(self.config.urgency_keywords, "urgency")

    def find(self, tokens: list[Token]) -> Cues:
        """Return the non-negated cues in a tokenized message."""
        strong: list[str] = []
        weak: list[str] = []
        urgency: list[str] = []
        norms = [token.norm for token in tokens]
        index = 0
        starts = self._trie.by_first
        while index < len(tokens):
            match = self._match_at(norms, index) if norms[index] in starts else None
            if match is None:
                index += 1
                continue
            words, tag = match
            if not is_negated(tokens, index) and not _thanks_again(norms, index, tag):
                phrase = " ".join(words)
                if tag == "keyword":
                    _append_once(strong, f"keyword:{phrase}")
                elif tag == "repeat":
                    _append_once(strong, f"repeat:{phrase}")
                elif tag == "weak":
                    _append_once(weak, f"repeat:{phrase}")
                else:
                    _append_once(urgency, f"urgency:{phrase}")
            index += len(words)
        bangs = [token.raw for token in tokens if token.kind == "bang"]
        return Cues(
            strong=tuple(strong),
            weak=tuple(weak),
            urgency=tuple(urgency),
            shouting=is_shouting(tokens),
            exclamations=any(len(bang) >= 2 for bang in bangs) or len(bangs) >= 3,
        )

    def _match_at(self, norms: list[str], index: int) -> tuple[tuple[str, ...], str] | None:
        """Return the longest configured phrase starting at `index`, if any."""
        for words, tag in self._trie.by_first.get(norms[index], ()):
            if tuple(norms[index : index + len(words)]) == words:
                return words, tag
        return None


def _thanks_again(norms: list[str], index: int, tag: str) -> bool:
    """Tell whether a weak 'again' is only part of 'thanks again'."""
    return tag == "weak" and any(norm in _THANKS for norm in norms[max(0, index - 2) : index])


def _append_once(items: list[str], item: str) -> None:
    """Append an item unless it is already there."""
    if item not in items:
        items.append(item)
