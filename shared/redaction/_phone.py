"""Find phone numbers with libphonenumber, plus NANP-shaped numbers it rejects as unassigned."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from phonenumbers import Leniency, PhoneNumberMatcher

from shared.redaction._context import inside_iban, labelled_identifier, near
from shared.redaction._model import Finding

KIND = "phone"
REPLACEMENT = "[PHONE]"
_MIN_DIGITS = 7  # The shortest numbers with a country code (e.g. +683 Niue) have seven.
# Cheap gate before libphonenumber: seven digits, any script, with little punctuation between.
_PHONE_SHAPED = re.compile(r"\d(?:[^\w]{0,4}\d){6}")
# Written like a North American number, with separators: customers and bots type
# placeholders such as 123-456-7890 or 555 numbers that libphonenumber calls invalid.
_NANP_SHAPED = re.compile(
    r"(?<![\w.+-])(?:\+?1[ .-]?)?(?:\([0-9]{3}\)[ .-]?|[0-9]{3}[ .-])[0-9]{3}[ .-][0-9]{4}"
    r"(?![\w]|[.-][0-9])"
)
# Seven-digit local numbers only count as phones when the customer says so.
_LOCAL = re.compile(r"(?<![\w.+-])[0-9]{3}[-.][0-9]{4}(?![\w]|[.-][0-9])")
_PHONE_WORDS = re.compile(
    r"\b(?:call|phone|cell|mobile|tel|telephone|text|reach|landline|fax|whatsapp|number)\b",
    re.IGNORECASE,
)

# libphonenumber reads some dates as numbers ("13.10.2026" as +1 310-2026); dates stay.
_DATE = re.compile(
    r"(?:[0-9]{1,2}[./-][0-9]{1,2}[./-](?:[0-9]{4}|[0-9]{2})|[0-9]{4}[./-][0-9]{1,2}[./-][0-9]{1,2})"
)

PhoneFinder = Callable[[str, int], Iterator[Finding]]


def phone_finder(region: str) -> PhoneFinder:
    """Build a phone finder that reads national-format numbers as dialled from `region`."""

    def find_phones(text: str, digits: int) -> Iterator[Finding]:
        """Yield valid phone numbers unless introduced as an order or ticket number."""
        if digits < _MIN_DIGITS or _PHONE_SHAPED.search(text) is None:
            return
        claimed: list[tuple[int, int]] = []
        for match in PhoneNumberMatcher(text, region, leniency=Leniency.VALID):
            claimed.append((match.start, match.end))
            if not (
                _DATE.fullmatch(match.raw_string)
                or labelled_identifier(text, match.start)
                or inside_iban(text, match.start)
            ):
                yield Finding(KIND, match.start, match.end, match.raw_string, REPLACEMENT)
        for start, end in _fallback_spans(text):
            if not any(s < end and start < e for s, e in claimed):
                claimed.append((start, end))
                yield Finding(KIND, start, end, text[start:end], REPLACEMENT)

    return find_phones


def _fallback_spans(text: str) -> Iterator[tuple[int, int]]:
    for match in _NANP_SHAPED.finditer(text):
        if not labelled_identifier(text, match.start()):
            yield match.span()
    for match in _LOCAL.finditer(text):
        start, end = match.span()
        if not labelled_identifier(text, start) and near(
            _PHONE_WORDS, text, start, end, before=30, after=0
        ):
            yield start, end
