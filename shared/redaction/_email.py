"""Find email addresses."""

from __future__ import annotations

import re
from collections.abc import Iterator

from shared.redaction._model import Finding

KIND = "email"
REPLACEMENT = "[EMAIL]"
_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
_EMAIL = re.compile(
    r"(?<![\w%+-])(?<![\w%+-]\.)[\w%+-]+(?:\.[\w%+-]+)*"
    r"@(?:" + _LABEL + r"\.)+[^\W\d_]{2,63}(?![\w-]|\.[^\W_])"
)


def find_emails(text: str, digits: int) -> Iterator[Finding]:
    """Yield email addresses, including plus-addressed and internationalised ones."""
    del digits  # Emails need no digits; '@' is the cheap pre-check.
    if "@" not in text:
        return
    for match in _EMAIL.finditer(text):
        yield Finding(KIND, match.start(), match.end(), match[0], REPLACEMENT)
