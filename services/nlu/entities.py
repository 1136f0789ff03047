"""Find amounts, order and account numbers, cards, emails, phones and dates in a customer's words.

Rules run in priority order and a later rule never takes characters an earlier one matched, so
"order number 555-1234" is an order number, not a phone. Full card numbers are kept only when the
Luhn check passes, and never leave this module unmasked: value and text keep the last four digits.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from shared.schemas.events import Entity

_SYMBOLS = {
    "$": "USD",
    "US$": "USD",
    "C$": "CAD",
    "A$": "AUD",
    "£": "GBP",
    "€": "EUR",
    "¥": "JPY",
    "₹": "INR",
}
_CODES: tuple[str, ...] = ("USD", "EUR", "GBP", "CAD", "AUD", "NZD", "JPY", "CHF", "INR", "MXN")
_CODES += ("BRL", "CNY", "HKD", "SGD", "SEK", "NOK", "DKK", "PLN", "ZAR", "AED")
_WORDS = {
    "dollar": "USD",
    "dollars": "USD",
    "buck": "USD",
    "bucks": "USD",
    "euro": "EUR",
    "euros": "EUR",
    "pound": "GBP",
    "pounds": "GBP",
    "quid": "GBP",
    "yen": "JPY",
    "rupee": "INR",
    "rupees": "INR",
    "cent": "USD",
    "cents": "USD",
}
_MULTIPLIERS = {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6}

# 1,234.56 | 1.234,56 | 1234.56 | 12,50 (decimal comma) | 750
_NUM = (
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d{1,3}(?:\.\d{3})+,\d{1,2}|\d+(?:[.,]\d{1,2})?)"
    r"(?![\d,.]?\d)"
)
_MULT = r"(?:\s?(?P<mult>k|thousand|m|million)\b)?"
_SYM = "|".join(re.escape(s) for s in sorted(_SYMBOLS, key=len, reverse=True))
_CODE = "|".join(_CODES)
_WORD = "|".join(sorted(_WORDS, key=len, reverse=True))
_AMOUNT_PATTERNS = (
    re.compile(rf"(?<![\w$£€¥₹])(?P<sym>{_SYM})\s?{_NUM}{_MULT}", re.IGNORECASE),
    re.compile(rf"\b(?P<code>{_CODE})\s?{_NUM}{_MULT}", re.IGNORECASE),
    re.compile(
        rf"(?<![\w.,]){_NUM}{_MULT}\s?(?:(?P<code>{_CODE})\b|(?P<sym>[£€¥₹]))", re.IGNORECASE
    ),
    re.compile(rf"(?<![\w.,]){_NUM}{_MULT}\s?(?P<word>{_WORD})\b", re.IGNORECASE),
)

_ID = r"(?P<id>(?=[A-Z0-9-]*\d)[A-Z0-9][A-Z0-9-]{2,}[A-Z0-9])\b"
_ORDER_PATTERNS = (
    re.compile(
        r"\b(?:order|purchase|confirmation|booking|reservation)"
        r"(?:\s+(?:number|num|no\.?|nr|id|ref(?:erence)?|code))?"
        rf"\s*(?:is\s+|:\s*|#\s*)?#?{_ID}",
        re.IGNORECASE,
    ),
    re.compile(rf"(?<![\w&#])#{_ID}", re.IGNORECASE),
)

_ACCOUNT_PATTERN = re.compile(
    r"\b(?:account|acct|acc)\.?(?:\s+(?:number|num|no\.?|nr|id))?\s*(?:is\s+|:\s*|#\s*)?#?"
    r"(?P<id>\d{2,}(?:-\d{2,})*(?: \d{4})*)(?![\d-])",
    re.IGNORECASE,
)
_IBAN_PATTERN = re.compile(r"\b(?P<id>[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?)\b")

_CARD_FULL = re.compile(r"(?<![\d-])(?P<pan>\d(?:[ -]?\d){12,18})(?![\d-])")
_CARD_ENDING = re.compile(
    r"(?:\b(?:card|visa|mastercard|amex|debit|credit)\b[^\S\n]*)?"
    r"\b(?:ending(?:\s+(?:in|with))?|last\s+(?:4|four)(?:\s+digits)?(?:\s+(?:are|is|of))?)"
    r"\s*:?\s*(?P<last4>\d{4})\b",
    re.IGNORECASE,
)
_CARD_MASKED = re.compile(
    r"(?<![\w*])(?:[*xX•]{4}[ -]?){1,3}(?P<last4>\d{4})\b|(?<![\w*])\*{2,}(?P<last4b>\d{4})\b"
)

_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"
)

_PHONE_PATTERNS = (
    # +44 20 7946 0958, +1 (415) 555-0132, 0044 20 7946 0958
    re.compile(r"(?<![\w+])(?:\+|00)\d{1,3}(?:[ .-]?\(?\d{1,5}\)?){2,5}(?!\w)"),
    # (415) 555-0132, 415-555-0132, 415.555.0132, 4155550132
    re.compile(r"(?<![\w+(])(?:\(\d{3}\)\s?|\d{3}[ .-]?)\d{3}[ .-]?\d{4}(?!\w)"),
    # 020 7946 0958, 07700 900123
    re.compile(r"(?<![\w+])0\d{2,4}[ -]\d{3,4}[ -]?\d{3,4}(?!\w)"),
)

_MONTHS = {
    "jan": "January",
    "feb": "February",
    "mar": "March",
    "apr": "April",
    "may": "May",
    "jun": "June",
    "jul": "July",
    "aug": "August",
    "sep": "September",
    "oct": "October",
    "nov": "November",
    "dec": "December",
}
_MONTH = (
    r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"(?P<day>[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s+(?P<year>(?:19|20)\d{2}))?"
_WEEKDAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_COUNT = (
    r"(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten"
    r"|a\s+few|a\s+couple\s+of|several|\d{1,3})"
)
_DATE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"\b(?P<iso>(?:19|20)\d{2}-(?:0?[1-9]|1[0-2])-(?:[12]\d|3[01]|0?[1-9]))\b"),
        "numeric",
    ),
    (
        re.compile(
            r"(?<![\d/.-])(?P<numeric>\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2}))(?![\d/.-]|\.\d)"
        ),
        "numeric",
    ),
    (
        re.compile(
            r"\b(?:on|since|by|from|until|till|before|after)\s+(?P<numeric>\d{1,2}/\d{1,2})(?![\d/])",
            re.IGNORECASE,
        ),
        "numeric",
    ),
    (re.compile(rf"\b{_MONTH}\s+{_DAY}\b{_YEAR}", re.IGNORECASE), "month_day"),
    (re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH}\b{_YEAR}", re.IGNORECASE), "month_day"),
    (re.compile(rf"\b{_MONTH}\s+(?P<year>(?:19|20)\d{{2}})\b", re.IGNORECASE), "month_year"),
    (
        re.compile(
            r"\b(?:the\s+day\s+(?:before\s+yesterday|after\s+tomorrow)|today|tonight|yesterday|tomorrow"
            r"|(?:this|last|next)\s+(?:morning|afternoon|evening|night|week|weekend|month|year)"
            rf"|(?:last|next|this|past)\s+{_WEEKDAY}"
            rf"|{_COUNT}\s+(?:days?|weeks?|months?|years?)\s+ago"
            r"|(?:the\s+)?(?:past|last)\s+(?:few|couple\s+of|\d{1,3})\s+(?:days|weeks|months)"
            rf"|{_WEEKDAY}(?:\s+(?:morning|afternoon|evening|night))?)\b",
            re.IGNORECASE,
        ),
        "relative",
    ),
)


_LETTERS = re.compile(r"[a-z]+")
# Every relative-date expression contains one of these words; texts without them skip the regex.
_RELATIVE_TRIGGERS = frozenset(
    [
        "today",
        "tonight",
        "yesterday",
        "tomorrow",
        "morning",
        "afternoon",
        "evening",
        "night",
        "week",
        "weekend",
        "month",
        "year",
        "day",
        "days",
        "weeks",
        "months",
        "years",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ]
)


@dataclass(slots=True)  # made per message: a frozen one's __init__ costs five times as much
class _Found:
    start: int
    end: int
    entity: Entity


@dataclass(slots=True)  # made per message: a frozen one's __init__ costs five times as much
class _Text:
    """A text and what every pattern needs before it can match: most texts have no entity,
    and a set lookup is far cheaper than a regex scan."""

    raw: str
    words: frozenset[str]  # runs of letters, lower-cased
    chars: frozenset[str]
    digits: int

    @classmethod
    def of(cls, text: str) -> _Text:
        return cls(
            text,
            frozenset(_LETTERS.findall(text.lower())),
            frozenset(text),
            len(_DIGITS.findall(text)),
        )

    def has(self, words: frozenset[str]) -> bool:
        return not words.isdisjoint(self.words)

    def has_char(self, chars: frozenset[str]) -> bool:
        return not chars.isdisjoint(self.chars)


_GATED = True  # tests switch the gates off to prove they never drop an entity


def _gate(ok: bool) -> bool:
    return ok or not _GATED


_DIGITS = re.compile(r"\d")
_CODE_WORDS = frozenset(c.lower() for c in _CODES)
_CURRENCY_WORDS = frozenset(_WORDS)
_SYMBOL_CHARS = frozenset("$£€¥₹")
_MONTH_WORDS = frozenset([*_MONTHS, *(m.lower() for m in _MONTHS.values()), "sept"])
# Prefixes: the order pattern may run on into letters of the reference ("orderA123").
_ORDER_WORDS = ("order", "purchase", "confirmation", "booking", "reservation")
_ACCOUNT_WORDS = frozenset(["account", "acct", "acc"])
_CARD_END_WORDS = frozenset(["ending", "last"])
_MASK_CHARS = frozenset("*xX•")
_DATE_SEPARATORS = frozenset("/.-")


def extract_entities(text: str) -> list[Entity]:
    """Return the entities in a text, in reading order, without overlaps."""
    taken: list[tuple[int, int]] = []
    found: list[_Found] = []
    ctx = _Text.of(text)
    for finder in _FINDERS:
        for item in finder(ctx):
            if any(item.start < end and start < item.end for start, end in taken):
                continue
            taken.append((item.start, item.end))
            found.append(item)
    return [item.entity for item in sorted(found, key=lambda item: item.start)]


def _emails(ctx: _Text) -> Iterator[_Found]:
    """Yield email addresses, lower-cased in the value."""
    if not _gate("@" in ctx.chars):
        return
    for match in _EMAIL.finditer(ctx.raw):
        yield _Found(
            match.start(),
            match.end(),
            Entity(kind="email", value=match.group().lower(), text=match.group()),
        )


def _cards(ctx: _Text) -> Iterator[_Found]:
    """Yield Luhn-valid card numbers, masked cards and 'ending in 1234' mentions."""
    text = ctx.raw
    if not _gate(ctx.digits >= 4):
        return
    for match in _CARD_FULL.finditer(text) if _gate(ctx.digits >= 13) else ():
        digits = re.sub(r"\D", "", match.group("pan"))
        if 13 <= len(digits) <= 19 and _luhn_ok(digits):
            masked = _mask_all_but_last4(match.group("pan"))
            yield _Found(match.start(), match.end(), _card(digits[-4:], masked))
    gates = (ctx.has(_CARD_END_WORDS), ctx.has_char(_MASK_CHARS))
    for pattern, ok in zip((_CARD_ENDING, _CARD_MASKED), gates, strict=True):
        if not _gate(ok):
            continue
        for match in pattern.finditer(text):
            last4 = next(g for g in match.groups() if g)
            yield _Found(match.start(), match.end(), _card(last4, match.group()))


def _card(last4: str, shown: str) -> Entity:
    """Build a card entity that carries no more than the last four digits."""
    return Entity(kind="card_number", value=f"card ending {last4}", text=shown)


def _accounts(ctx: _Text) -> Iterator[_Found]:
    """Yield IBANs with a valid checksum and numbers introduced by 'account'."""
    text = ctx.raw
    if not _gate(ctx.digits >= 2):
        return
    for match in _IBAN_PATTERN.finditer(text):
        iban = match.group("id").replace(" ", "")
        if 15 <= len(iban) <= 34 and _iban_ok(iban):
            yield _Found(
                match.start(),
                match.end(),
                Entity(kind="account_number", value=iban, text=match.group()),
            )
    for match in _ACCOUNT_PATTERN.finditer(text) if _gate(ctx.has(_ACCOUNT_WORDS)) else ():
        digits = re.sub(r"\D", "", match.group("id"))
        if 4 <= len(digits) <= 20:
            yield _Found(
                match.start(),
                match.end(),
                Entity(kind="account_number", value=digits, text=match.group()),
            )


def _orders(ctx: _Text) -> Iterator[_Found]:
    """Yield order references: 'order #A12345', 'order number 123-456', '#55102'."""
    if not _gate(ctx.digits > 0):
        return
    gates = (any(w.startswith(_ORDER_WORDS) for w in ctx.words), "#" in ctx.chars)
    for pattern, ok in zip(_ORDER_PATTERNS, gates, strict=True):
        if not _gate(ok):
            continue
        for match in pattern.finditer(ctx.raw):
            ref = match.group("id").upper()
            yield _Found(
                match.start(),
                match.end(),
                Entity(kind="order_number", value=ref, text=match.group()),
            )


def _amounts(ctx: _Text) -> Iterator[_Found]:
    """Yield money amounts whose currency is stated by a symbol, an ISO code or a word."""
    if not _gate(ctx.digits > 0):
        return
    symbol, code = ctx.has_char(_SYMBOL_CHARS), ctx.has(_CODE_WORDS)
    gates = (symbol, code, code or symbol, ctx.has(_CURRENCY_WORDS))
    for pattern, ok in zip(_AMOUNT_PATTERNS, gates, strict=True):
        if not _gate(ok):
            continue
        for match in pattern.finditer(ctx.raw):
            groups = match.groupdict()
            value = _parse_number(groups["num"])
            if groups.get("mult"):
                value *= _MULTIPLIERS[groups["mult"].lower()]
            if groups.get("sym"):
                currency = _SYMBOLS[groups["sym"].upper()]
            elif groups.get("code"):
                currency = groups["code"].upper()
            else:
                word = groups["word"].lower()
                currency = _WORDS[word]
                if word.startswith("cent"):
                    value /= 100.0
            entity = Entity(
                kind="amount",
                value=f"{value:.2f} {currency}",
                text=match.group(),
                currency=currency,
                amount=round(value, 2),
            )
            yield _Found(match.start(), match.end(), entity)


def _dates(ctx: _Text) -> Iterator[_Found]:
    """Yield absolute dates as written (or normalised month names) and relative ones lower-cased."""
    text = ctx.raw
    ok = {
        "numeric": ctx.digits > 0 and ctx.has_char(_DATE_SEPARATORS),
        "month_day": ctx.digits > 0 and ctx.has(_MONTH_WORDS),
        "month_year": ctx.digits > 0 and ctx.has(_MONTH_WORDS),
        "relative": ctx.has(_RELATIVE_TRIGGERS),
    }
    for pattern, shape in _DATE_PATTERNS:
        if not _gate(ok[shape]):
            continue
        for match in pattern.finditer(text):
            value = _date_value(match, shape)
            if value is None:
                continue
            start = (
                match.start("numeric")
                if shape == "numeric" and match.groupdict().get("numeric")
                else match.start()
            )
            yield _Found(
                start, match.end(), Entity(kind="date", value=value, text=text[start : match.end()])
            )


def _date_value(match: re.Match[str], shape: str) -> str | None:
    """Normalise a date match, rejecting impossible numbers and the modal verb 'may'."""
    groups = match.groupdict()
    if shape == "numeric":
        raw = groups.get("iso") or groups["numeric"]
        if groups.get("iso"):
            return raw
        first, second = (int(part) for part in re.split(r"[/.-]", raw)[:2])
        plausible = (first <= 12 and second <= 31) or (second <= 12 and first <= 31)
        return raw if plausible and first > 0 and second > 0 else None
    if shape == "relative":
        return " ".join(match.group().lower().split())
    month_text = groups["month"]
    if month_text == "may":  # lower-case "may" before a number is usually the verb
        return None
    month = _MONTHS[month_text[:3].lower()]
    year = groups.get("year")
    if shape == "month_year":
        return f"{month} {year}"
    day = int(groups["day"])
    return f"{month} {day}, {year}" if year else f"{month} {day}"


def _phones(ctx: _Text) -> Iterator[_Found]:
    """Yield phone numbers with 7 to 15 digits, normalised to digits with an optional '+'."""
    if not _gate(ctx.digits >= 7):
        return
    for pattern in _PHONE_PATTERNS:
        for match in pattern.finditer(ctx.raw):
            raw = match.group()
            digits = re.sub(r"\D", "", raw)
            if raw.startswith("00"):
                digits, raw_plus = digits[2:], True
            else:
                raw_plus = raw.startswith("+")
            if not 7 <= len(digits) <= 15:
                continue
            value = f"+{digits}" if raw_plus else digits
            yield _Found(match.start(), match.end(), Entity(kind="phone", value=value, text=raw))


def _parse_number(raw: str) -> float:
    """Read 1,234.56, 1.234,56, 12,50 and 750 as floats."""
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+,\d{1,2}", raw):
        return float(raw.replace(".", "").replace(",", "."))
    if re.fullmatch(r"\d+,\d{1,2}", raw):
        return float(raw.replace(",", "."))
    return float(raw.replace(",", ""))


def _luhn_ok(digits: str) -> bool:
    """Check the Luhn checksum that every payment card number carries."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        number = int(char)
        if index % 2 == 1:
            number = number * 2 - 9 if number > 4 else number * 2
        total += number
    return total % 10 == 0


def _iban_ok(iban: str) -> bool:
    """Check an IBAN's mod-97 checksum."""
    rearranged = iban[4:] + iban[:4]
    numeric = "".join(str(int(char, 36)) for char in rearranged)
    return int(numeric) % 97 == 1


def _mask_all_but_last4(raw: str) -> str:
    """Replace every digit but the last four with '*', keeping separators."""
    total = sum(char.isdigit() for char in raw)
    seen = 0
    out = []
    for char in raw:
        if char.isdigit():
            seen += 1
            out.append(char if seen > total - 4 else "*")
        else:
            out.append(char)
    return "".join(out)


_FINDERS: tuple[Callable[[_Text], Iterator[_Found]], ...] = (
    _emails,
    _cards,
    _accounts,
    _orders,
    _amounts,
    _dates,
    _phones,
)
