"""Generate a labelled chat corpus of PII and of look-alikes that must survive redaction."""

from __future__ import annotations

import random
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

SEED = 20260312


@dataclass(frozen=True)
class Sample:
    """Hold one chat message, the PII it contains and the identifiers that must stay."""

    text: str
    kind: str
    secret: str
    kept: tuple[str, ...] = ()


# Operational identifiers mixed into positive messages; they must come out untouched.
_KEPT_SNIPPETS = (
    "order #A48213",
    "order 55512",
    "$749.99",
    "1,200.50 EUR",
    "12/03/2026",
    "ending 4242",
    "1Z999AA10123456784",
    "ticket #58213",
)


def _fill(rng: random.Random, template: str, secret: str, kind: str) -> Sample:
    kept = rng.choice(_KEPT_SNIPPETS)
    text = template.format(x=secret, k=kept)
    return Sample(text, kind, secret, (kept,) if "{k}" in template else ())


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(count))


# --- cards ---------------------------------------------------------------------------------

_BRANDS: tuple[tuple[tuple[str, ...], tuple[int, ...]], ...] = (
    (("4",), (16, 13, 19)),  # Visa
    (("51", "52", "53", "54", "55", "2221", "2720", "2500"), (16,)),  # Mastercard
    (("34", "37"), (15,)),  # American Express
    (("6011", "65", "644"), (16, 19)),  # Discover
    (("3528", "3589"), (16,)),  # JCB
    (("36", "38"), (14,)),  # Diners Club
    (("62",), (16, 17, 18, 19)),  # UnionPay
    (("6759", "5018"), (13, 16, 19)),  # Maestro
    (("2200", "2204"), (16,)),  # Mir
    (("9792",), (16,)),  # Troy
)


def luhn_check_digit(body: str) -> str:
    """Compute the digit that makes `body` + digit pass the Luhn check."""
    total = 0
    for index, char in enumerate(reversed(body)):
        value = int(char)
        if index % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def make_card(rng: random.Random, prefix: str, length: int) -> str:
    """Return a random Luhn-valid card number with the given prefix and length."""
    body = prefix + _digits(rng, length - len(prefix) - 1)
    return body + luhn_check_digit(body)


def format_card(number: str, style: str) -> str:
    """Write a card number the way customers type it."""
    if style == "compact":
        return number
    sep = " " if style == "spaces" else "-"
    if len(number) == 15:
        return sep.join((number[:4], number[4:10], number[10:]))
    return sep.join(number[i : i + 4] for i in range(0, len(number), 4))


_CARD_TEMPLATES = (
    "my card number is {x}",
    "Card: {x} exp 09/27",
    "please charge {x} for {k}",
    "{x} is the card I used, see {k}",
    "can you refund it to {x}?",
    "I paid with {x}. the one {k} is my old one",
    "use visa {x} thx",
    "the number on the card is {x}.",
    "new card {x} cvv 123",
    "ok here it is: {x}",
)


def card_samples(rng: random.Random) -> Iterator[Sample]:
    """Yield Luhn-valid cards of every major network in several spellings."""
    for prefixes, lengths in _BRANDS:
        for prefix in prefixes:
            for length in lengths:
                for style in ("compact", "spaces", "dashes"):
                    card = format_card(make_card(rng, prefix, length), style)
                    yield _fill(rng, rng.choice(_CARD_TEMPLATES), card, "card_number")


def broken_card(rng: random.Random, prefix: str, length: int) -> str:
    """Return a card-shaped number whose Luhn check digit is wrong."""
    card = make_card(rng, prefix, length)
    wrong = (int(card[-1]) + rng.randint(1, 9)) % 10
    return card[:-1] + str(wrong)


# --- SSNs ----------------------------------------------------------------------------------


def make_ssn(rng: random.Random) -> tuple[str, str, str]:
    """Return the area, group and serial of a number the SSA could have issued."""
    area = rng.choice([a for a in range(1, 900) if a != 666])
    return f"{area:03d}", f"{rng.randint(1, 99):02d}", f"{rng.randint(1, 9999):04d}"


_SSN_FORMATTED_TEMPLATES = (
    "my ssn is {x}",
    "SSN: {x}",
    "here's my social {x}",
    "{x} is my social security number",
    "the tax form has {x} on it, {k}",
    "verify me with {x} please",
)
_SSN_BARE_TEMPLATES = (
    "my ssn is {x}",
    "social security number {x}",
    "{x} (ssn)",
    "SSN#{x}",
    "Social Security: {x} for {k}",
    "last time I gave my SSN it was {x}",
)


def ssn_samples(rng: random.Random) -> Iterator[Sample]:
    """Yield SSNs with dashes or spaces anywhere, and bare ones next to SSN words."""
    for index in range(70):
        area, group, serial = make_ssn(rng)
        if index % 3 == 0:
            template, ssn = rng.choice(_SSN_BARE_TEMPLATES), area + group + serial
        else:
            sep = "-" if index % 3 == 1 else " "
            template, ssn = rng.choice(_SSN_FORMATTED_TEMPLATES), sep.join((area, group, serial))
        yield _fill(rng, template, ssn, "ssn")


# --- emails --------------------------------------------------------------------------------

_FIRST = ("john", "maria", "li", "oluwaseun", "anne-marie", "jose", "priya", "sam", "zoë", "kim")
_LAST = ("doe", "garcia", "wang", "adeyemi", "o'neil", "muller", "patel", "smith", "ng", "brown")
_DOMAINS = (
    "gmail.com",
    "example.co.uk",
    "mail.example.org",
    "acme-corp.io",
    "uni.edu",
    "post.bund.de",
    "outlook.fr",
    "x.ai",
)
_EMAIL_TEMPLATES = (
    "email me at {x}",
    "my email is {x}.",
    "send the receipt ({k}) to <{x}>",
    "{x} is my login",
    "mailto:{x}",
    "contact: {x}, thanks",
    "can you update it to {x}?",
)


def make_email(rng: random.Random) -> str:
    """Return a plausible personal email address."""
    first, last = rng.choice(_FIRST), rng.choice(_LAST).replace("'", "")
    local = rng.choice(
        (
            f"{first}.{last}",
            f"{first}_{last}{rng.randint(1, 99)}",
            f"{first}+{rng.choice(('shop', 'news', 'x'))}",
            f"{first[0]}{last}",
            f"{first.upper()}.{last.capitalize()}",
        )
    )
    return f"{local}@{rng.choice(_DOMAINS)}"


def email_samples(rng: random.Random) -> Iterator[Sample]:
    """Yield emails in chat sentences."""
    for _ in range(60):
        yield _fill(rng, rng.choice(_EMAIL_TEMPLATES), make_email(rng), "email")


# --- phones --------------------------------------------------------------------------------

_US_AREAS = ("212", "415", "646", "312", "617", "206", "303", "512", "702", "808", "917", "404")
_REGIONS = (
    "GB",
    "DE",
    "FR",
    "IN",
    "AU",
    "BR",
    "JP",
    "ES",
    "IT",
    "NL",
    "MX",
    "SG",
    "ZA",
    "IE",
    "SE",
    "CH",
    "PL",
    "NG",
    "AE",
    "CA",
)
_PHONE_TEMPLATES = (
    "call me at {x}",
    "my number is {x}.",
    "{x} - that's my cell",
    "text {x} after 5pm",
    "reach me on {x} about {k}",
    "you can ring {x} tomorrow",
    "phone: {x}",
    "my mobile changed to {x}, pls update",
)


def _us_numbers(rng: random.Random) -> Iterator[str]:
    while True:
        area, exchange = rng.choice(_US_AREAS), str(rng.randint(200, 999))
        line = _digits(rng, 4)
        number = phonenumbers.parse(f"+1{area}{exchange}{line}")
        if exchange[1:] != "11" and phonenumbers.is_valid_number(number):
            style = rng.randrange(6)
            if style == 0:
                yield f"({area}) {exchange}-{line}"
            elif style == 1:
                yield f"{area}-{exchange}-{line}"
            elif style == 2:
                yield f"{area}.{exchange}.{line}"
            elif style == 3:
                yield f"+1 {area}-{exchange}-{line}"
            elif style == 4:
                yield phonenumbers.format_number(number, PhoneNumberFormat.E164)
            else:
                yield f"{area} {exchange} {line}"


def _international_number(rng: random.Random, region: str) -> str:
    kind = rng.choice((PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE))
    example = phonenumbers.example_number_for_type(region, kind)
    assert example is not None
    national = str(example.national_number)
    for _ in range(50):
        candidate = national[:-3] + _digits(rng, 3)
        number = phonenumbers.parse(f"+{example.country_code}{candidate}")
        if phonenumbers.is_valid_number(number):
            style = rng.choice((PhoneNumberFormat.INTERNATIONAL, PhoneNumberFormat.E164))
            return phonenumbers.format_number(number, style)
    return phonenumbers.format_number(example, PhoneNumberFormat.INTERNATIONAL)


def phone_samples(rng: random.Random) -> Iterator[Sample]:
    """Yield US numbers in six spellings and international numbers from twenty regions."""
    us = _us_numbers(rng)
    for _ in range(40):
        yield _fill(rng, rng.choice(_PHONE_TEMPLATES), next(us), "phone")
    for region in _REGIONS:
        for _ in range(3):
            number = _international_number(rng, region)
            yield _fill(rng, rng.choice(_PHONE_TEMPLATES), number, "phone")
    for fixed in ("+44 20 7946 0958", "(415) 555-2671", "415.555.2671", "123-456-7890"):
        yield _fill(rng, "call me at {x}", fixed, "phone")


# --- IBANs ---------------------------------------------------------------------------------

# Country -> BBAN layout as (count, alphabet) parts: "n" digits, "a" letters, "c" alphanumerics.
_BBAN_LAYOUTS: dict[str, tuple[tuple[int, str], ...]] = {
    "DE": ((18, "n"),),
    "GB": ((4, "a"), (14, "n")),
    "FR": ((10, "n"), (11, "c"), (2, "n")),
    "NL": ((4, "a"), (10, "n")),
    "IT": ((1, "a"), (10, "n"), (12, "c")),
    "CH": ((5, "n"), (12, "c")),
    "AT": ((16, "n"),),
    "PL": ((24, "n"),),
    "SE": ((20, "n"),),
    "IE": ((4, "a"), (14, "n")),
    "PT": ((21, "n"),),
    "DK": ((14, "n"),),
    "FI": ((14, "n"),),
    "LU": ((3, "n"), (13, "c")),
    "CZ": ((20, "n"),),
}
_ALPHABETS = {
    "n": string.digits,
    "a": string.ascii_uppercase,
    "c": string.digits + string.ascii_uppercase,
}
# Countries whose national check digits stdnum also verifies, as published examples.
_PUBLISHED_IBANS = ("BE68539007547034", "ES9121000418450200051332", "NO9386011117947")


def iban_check_digits(country: str, bban: str) -> str:
    """Compute ISO 13616 mod-97 check digits for a country and BBAN."""
    rearranged = bban + country + "00"
    numeric = "".join(str(int(char, 36)) for char in rearranged)
    return f"{98 - int(numeric) % 97:02d}"


def make_iban(rng: random.Random, country: str) -> str:
    """Return a random IBAN with correct check digits for the country's BBAN layout."""
    bban = "".join(
        rng.choice(_ALPHABETS[alphabet])
        for count, alphabet in _BBAN_LAYOUTS[country]
        for _ in range(count)
    )
    return country + iban_check_digits(country, bban) + bban


def format_iban(compact: str, style: str) -> str:
    """Write an IBAN compactly, in print groups of four, or in lower case."""
    grouped = " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
    return {"compact": compact, "grouped": grouped, "lower": grouped.lower()}[style]


_IBAN_TEMPLATES = (
    "my IBAN is {x}",
    "please refund to {x} thanks",
    "IBAN: {x}",
    "bank account {x} (my savings)",
    "wire the {k} refund to {x}",
    "{x} is the account",
)


def iban_samples(rng: random.Random) -> Iterator[Sample]:
    """Yield checksum-valid IBANs from eighteen countries in three spellings."""
    for country in _BBAN_LAYOUTS:
        for style in ("compact", "grouped", "lower", rng.choice(("compact", "grouped"))):
            iban = format_iban(make_iban(rng, country), style)
            yield _fill(rng, rng.choice(_IBAN_TEMPLATES), iban, "iban")
    for published in _PUBLISHED_IBANS:
        for style in ("compact", "grouped"):
            iban = format_iban(published, style)
            yield _fill(rng, rng.choice(_IBAN_TEMPLATES), iban, "iban")


# --- IP addresses --------------------------------------------------------------------------

_IP_TEMPLATES = (
    "my ip is {x}",
    "connecting from {x}.",
    "router at {x} keeps dropping",
    "the log shows {x} for {k}",
)


def ip_samples(rng: random.Random) -> Iterator[Sample]:
    """Yield IPv4 and IPv6 addresses."""
    for _ in range(20):
        ip = ".".join(str(rng.randint(1, 254)) for _ in range(4))
        yield _fill(rng, rng.choice(_IP_TEMPLATES), ip, "ip_address")
    for _ in range(10):
        groups = [f"{rng.randint(0, 0xFFFF):x}" for _ in range(6)]
        ip = "2001:db8:" + ":".join(groups) if rng.random() < 0.5 else f"fe80::{groups[0]}:1"
        yield _fill(rng, rng.choice(_IP_TEMPLATES), ip, "ip_address")


def positives(seed: int = SEED) -> list[Sample]:
    """Return the positive corpus: every sample carries exactly one PII value."""
    rng = random.Random(seed)
    generators: tuple[Callable[[random.Random], Iterator[Sample]], ...] = (
        card_samples,
        ssn_samples,
        email_samples,
        phone_samples,
        iban_samples,
        ip_samples,
    )
    return [sample for generate in generators for sample in generate(rng)]


# --- look-alikes that must survive ---------------------------------------------------------


def _broken_cards(rng: random.Random) -> Iterator[str]:
    templates = ("is {x} a valid card?", "card {x} declined", "tried {x} but it failed")
    for prefixes, lengths in _BRANDS:
        for prefix in prefixes[:2]:
            length = 16 if 16 in lengths else lengths[0]
            for style in ("compact", "spaces", "dashes"):
                card = format_card(broken_card(rng, prefix, length), style)
                yield rng.choice(templates).format(x=card)


def _order_numbers(rng: random.Random) -> Iterator[str]:
    yield "where is order #A48213?"
    yield "order 55512 never arrived"
    yield "my order 123-456-7890 is late"
    for _ in range(8):
        yield f"order #{rng.randint(10000, 999999)} still processing"
        yield f"order number {rng.choice(_US_AREAS)}{rng.randint(2000000, 9999999)} shows delivered"
        yield f"order #{rng.choice(string.ascii_uppercase)}{_digits(rng, 5)} was charged twice"
        yield f"my order is {rng.choice(_US_AREAS)}-{rng.randint(200, 999)}-{_digits(rng, 4)}"


def _tracking_numbers(rng: random.Random) -> Iterator[str]:
    yield "tracking 1Z999AA10123456784 says out for delivery"
    for _ in range(6):
        ups = "1Z" + "".join(rng.choice(_ALPHABETS["c"]) for _ in range(16))
        usps = rng.choice(("9400", "9205", "9361")) + _digits(rng, 18)
        grouped_usps = " ".join(usps[i : i + 4] for i in range(0, len(usps), 4))
        fedex = make_card(rng, "4", 15)  # Luhn-valid, so only the "tracking" label saves it
        yield f"UPS tracking {ups}"
        yield f"USPS {grouped_usps} is stuck"
        yield f"tracking number {fedex} via FedEx"
        yield f"fedex {_digits(rng, 12)} delivered"


def _dated_references(rng: random.Random) -> Iterator[str]:
    # Luhn-valid on purpose: only the issuer ranges tell these from cards.
    templates = ("invoice {x} attached", "I got reference {x} by mail", "{x} is on my receipt")
    for _ in range(12):
        stamp = f"20{rng.randint(20, 30)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        length = rng.choice((13, 14, 15, 16))
        yield rng.choice(templates).format(x=make_card(rng, stamp, length))


def _amounts(rng: random.Random) -> Iterator[str]:
    yield "I was charged $749.99 twice"
    yield "refund of 1,200.50 EUR please"
    for _ in range(8):
        yield f"the total was ${rng.randint(1, 999)},{_digits(rng, 3)}.{_digits(rng, 2)}"
        yield f"€{rng.randint(1, 99)}.{_digits(rng, 3)},{_digits(rng, 2)} debited"
        yield f"USD {rng.randint(1000, 999999)} limit"


def _dates(rng: random.Random) -> Iterator[str]:
    yield "delivery was due 12/03/2026"
    for _ in range(8):
        day, month, year = rng.randint(1, 28), rng.randint(1, 12), rng.randint(2020, 2030)
        yield f"since {month:02d}/{day:02d}/{year} nothing"
        clock = f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00"
        yield f"on {year}-{month:02d}-{day:02d} at {clock}"
        yield f"booked {day:02d}.{month:02d}.{year}"


def _broken_ibans(rng: random.Random) -> Iterator[str]:
    for country in _BBAN_LAYOUTS:
        iban = make_iban(rng, country)
        # Check digits run 02..98; shifting by 1..96 within that cycle always changes them.
        wrong = f"{(int(iban[2:4]) - 2 + rng.randint(1, 96)) % 97 + 2:02d}"
        yield f"is {format_iban(iban[:2] + wrong + iban[4:], 'grouped')} right? it bounced"


def _nine_digit_ids(rng: random.Random) -> Iterator[str]:
    templates = (
        "order {x} is missing",
        "confirmation code {x}",
        "your ref is {x}",
        "I have a parcel with id {x}",
        "case {x} was closed",
    )
    for _ in range(15):
        area, group, serial = make_ssn(rng)
        yield rng.choice(templates).format(x=area + group + serial)


def _kept_misc() -> Iterator[str]:
    yield from (
        "card ending 4242 was charged",
        "the visa ending in 1881 is mine",
        "last 4: 0005",
        "ticket #58213 please",
        "ref ABC-1234",
        "promo code SAVE20 didn't apply",
        "account 00123 is locked",
        "room 1205, zip 94107",
        "flight UA 1234 tomorrow",
        "SKU 88-1234-22 out of stock",
        "PO 4500012345 approved",
        "case 00123456 escalated",
        "the form shows 000-12-3456 which is wrong",
        "got 666-12-3456 on the letter",
        "number 123-00-4567 is invalid",
        "app version 1.2.3.4 crashes",
        "update to v2.3.1 at 10:30:45",
        "pick-up between 9:00 and 17:30",
        "I ordered 3 items for 2 people",
        "call ext. 4412",
        "is 999.1.1.1 an address?",
        "that costs 1,234,567.89 in total",
        "hello, I need help with my refund",
        "can I talk to a human please",
        "1234 5678",
    )


def negatives(seed: int = SEED) -> list[str]:
    """Return look-alike messages that must come back unchanged."""
    rng = random.Random(seed + 1)
    generators: tuple[Callable[[random.Random], Iterator[str]], ...] = (
        _broken_cards,
        _order_numbers,
        _tracking_numbers,
        _dated_references,
        _amounts,
        _dates,
        _broken_ibans,
        _nine_digit_ids,
    )
    texts = [text for generate in generators for text in generate(rng)]
    return [*texts, *_kept_misc()]
