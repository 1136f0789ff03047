"""Find US social security numbers by shape and issuance rules, bare ones only by context."""

from __future__ import annotations

import re
from collections.abc import Iterator

from stdnum.us import ssn

from shared.redaction._context import labelled_identifier, near
from shared.redaction._model import Finding

KIND = "ssn"
REPLACEMENT = "[SSN]"
# Not part of a longer dash/space separated digit sequence such as a card or a phone number.
_EDGE_BEFORE = r"(?<![0-9A-Za-z])(?<![0-9][ -])"
_EDGE_AFTER = r"(?![0-9A-Za-z])(?![ -][0-9])"
_FORMATTED = re.compile(_EDGE_BEFORE + r"[0-9]{3}([- ])[0-9]{2}\1[0-9]{4}" + _EDGE_AFTER)
_BARE = re.compile(_EDGE_BEFORE + r"[0-9]{9}" + _EDGE_AFTER)
_CONTEXT = re.compile(
    r"\b(?:ssn|ssns|ss#|ss\s*no|ss\s*number|social\s+security|social\s+sec|soc\.?\s*sec)",
    re.IGNORECASE,
)
_CONTEXT_BEFORE = 60
_CONTEXT_AFTER = 30


def find_ssns(text: str, digits: int) -> Iterator[Finding]:
    """Yield validly issued SSNs: formatted anywhere, bare nine digits only near SSN words."""
    if digits < 9:
        return
    for match in _FORMATTED.finditer(text):
        digits_only = match[0].replace(match[1], "")
        if ssn.is_valid(digits_only) and not labelled_identifier(text, match.start()):
            yield Finding(KIND, match.start(), match.end(), match[0], REPLACEMENT)
    for match in _BARE.finditer(text):
        start, end = match.span()
        if (
            ssn.is_valid(match[0])
            and near(_CONTEXT, text, start, end, before=_CONTEXT_BEFORE, after=_CONTEXT_AFTER)
            and not labelled_identifier(text, start)
        ):
            yield Finding(KIND, start, end, match[0], REPLACEMENT)
