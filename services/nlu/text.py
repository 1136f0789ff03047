"""Split a message into word, emoticon and punctuation tokens shared by the sentiment rules."""

from __future__ import annotations

import re
from typing import NamedTuple

_TOKEN = re.compile(
    r"""
    (?P<url>https?://\S+|www\.\S+)
    |(?P<mention>@\w+)
    |(?P<emo></?3|[<>]?[:;=][-o*']?[)\](\[dDpP/\\|]{1,3}(?![\w]))
    |\#?(?P<word>[^\W\d_]+(?:'[^\W\d_]+)?)
    |(?P<num>\d+(?:[.,:]\d+)*)
    |(?P<bang>!+)
    |(?P<question>\?+)
    |(?P<punct>[.,;:]+|[-–—]{2,}|[()])
    |(?P<emoji>[\U0001F300-\U0001FAFF\u2600-\u27BF])
    """,
    re.VERBOSE,
)

CLAUSE_WORDS = frozenset({"but", "however", "although", "though"})
NEGATORS = frozenset(
    [
        "not",
        "no",
        "never",
        "none",
        "nobody",
        "nothing",
        "neither",
        "nor",
        "nowhere",
        "cannot",
        "without",
        "hardly",
        "don't",
        "doesn't",
        "didn't",
        "isn't",
        "wasn't",
        "aren't",
        "weren't",
        "won't",
        "wouldn't",
        "can't",
        "couldn't",
        "shouldn't",
        "haven't",
        "hasn't",
        "hadn't",
        "ain't",
        "mustn't",
        "needn't",
        "dont",
        "doesnt",
        "didnt",
        "isnt",
        "wasnt",
        "arent",
        "werent",
        "wont",
        "wouldnt",
        "cant",
        "couldnt",
        "shouldnt",
        "havent",
        "hasnt",
        "hadnt",
        "aint",
    ]
)
NEGATION_WINDOW = 3


_BREAKING_KINDS = frozenset({"punct", "bang", "question"})
_SKIPPED = frozenset({"url", "mention"})
# Group number -> kind, so the hot loop reads an int instead of resolving a group name.
_KINDS = ("punct", *sorted(_TOKEN.groupindex, key=_TOKEN.groupindex.__getitem__))


class Token(NamedTuple):
    """One token: lower-cased, as written, its kind, and two flags the rules read constantly."""

    norm: str
    raw: str
    kind: str
    is_word: bool
    breaks_clause: bool  # negation and modifiers stop here


def tokenize(text: str) -> list[Token]:
    """Tokenize a message, dropping URLs and mentions but keeping emphasis and emoticons."""
    tokens: list[Token] = []
    append = tokens.append
    for match in _TOKEN.finditer(text.replace("’", "'")):
        kind = _KINDS[match.lastindex or 0]
        if kind == "word":
            raw = match.group(kind)  # without a leading '#'
            norm = raw.lower()
            append(Token(norm, raw, kind, True, norm in CLAUSE_WORDS))
        elif kind not in _SKIPPED:
            raw = match.group()
            append(Token(raw.lower(), raw, kind, False, kind in _BREAKING_KINDS))
    return tokens


def is_negated(tokens: list[Token], index: int) -> bool:
    """Tell whether a negator governs the token at `index` (within 3 words, same clause)."""
    seen = 0
    for position in range(index - 1, -1, -1):
        token = tokens[position]
        if token.breaks_clause:
            return False
        if not token.is_word:
            continue
        if token.norm in NEGATORS:
            return True
        seen += 1
        if seen >= NEGATION_WINDOW:
            return False
    return False


def is_shouting(tokens: list[Token]) -> bool:
    """Tell whether most words of three letters or more are in capitals (at least two)."""
    long_words = capitals = 0
    for token in tokens:
        if token.is_word and len(token.raw) >= 3:
            long_words += 1
            capitals += token.raw.isupper()
    return capitals >= 2 and capitals >= 0.6 * long_words
