"""Pin down redaction on hand-picked messages, one row per behaviour worth keeping."""

from __future__ import annotations

import pytest

from shared.redaction import Redactor

REDACTED = [
    ("my card is 4242 4242 4242 4242", "my card is [CARD ****4242]"),
    ("Card 4111-1111-1111-1111 exp 09/27", "Card [CARD ****1111] exp 09/27"),
    ("amex 3782 822463 10005 pls", "amex [CARD ****0005] pls"),
    ("5555555555554444", "[CARD ****4444]"),
    ("4242 4242 4242 4242 123 is the cvv", "[CARD ****4242] 123 is the cvv"),
    ("card 2 4242 4242 4242 4242", "card 2 [CARD ****4242]"),
    ("ssn 123-45-6789", "ssn [SSN]"),
    ("SSN: 123 45 6789", "SSN: [SSN]"),
    ("my social security number is 123456789", "my social security number is [SSN]"),
    ("jane.doe+shop@example.co.uk wrote", "[EMAIL] wrote"),
    ("mail ZOË@bücher.de now", "mail [EMAIL] now"),
    ("email me...jo@x.io", "email me...[EMAIL]"),
    ("call +44 20 7946 0958", "call [PHONE]"),
    ("(415) 555-2671 or 415.555.2671", "[PHONE] or [PHONE]"),
    ("call me at 123-456-7890", "call me at [PHONE]"),
    ("+14155552671", "[PHONE]"),
    ("call 555-1234 tonight", "call [PHONE] tonight"),
    ("IBAN DE89 3704 0044 0532 0130 00.", "IBAN [IBAN]."),
    ("gb82west12345698765432 thanks", "[IBAN] thanks"),
    ("refund BE68539007547034", "refund [IBAN]"),
    (
        "DE89 3704 0044 0532 0130 00 or GB82 WEST 1234 5698 7654 32",
        "[IBAN] or [IBAN]",
    ),
    ("ab12 then GB82WEST12345698765432", "ab12 then [IBAN]"),
    ("from 203.0.113.7.", "from [IP]."),
    ("v6 2001:db8::8a2e:370:7334 down", "v6 [IP] down"),
    (
        "I'm jane@x.io, card 4242424242424242, order #A48213 for $749.99",
        "I'm [EMAIL], card [CARD ****4242], order #A48213 for $749.99",
    ),
    (
        "tracking 1Z999AA10123456784, call 415-555-2671 on 12/03/2026",
        "tracking 1Z999AA10123456784, call [PHONE] on 12/03/2026",
    ),
]

KEPT = [
    "where is order #A48213?",
    "order 55512 never came",
    "my order 123-456-7890 is late",
    "order number 4155552671",
    "order 123-45-6789 shipped",
    "order 123456789 is missing",
    "my code is 123456789",
    "tracking 1Z999AA10123456784",
    "USPS 9400 1118 9922 3397 8467 01",
    "tracking number 424242424242424 via FedEx",
    "I paid $749.99 and 1,200.50 EUR",
    "due 12/03/2026, or 2026-03-12 10:30:45",
    "card ending 4242",
    "4242 4242 4242 4241",
    "DE88 3704 0044 0532 0130 00",
    "000-12-3456",
    "666-12-3456",
    "ticket #58213, ref ABC-1234",
    "app version 1.2.3.4",
    "call ext. 4412",
    "booked 13.10.2026 and 13-10-2026",
    "fedex 115259197528 delivered",
    "555-1234",
    "",
]


@pytest.mark.parametrize(("text", "expected"), REDACTED)
def test_pii_is_replaced(redactor: Redactor, text: str, expected: str) -> None:
    assert redactor.redact_text(text) == expected


@pytest.mark.parametrize("text", KEPT)
def test_operational_identifiers_are_kept(redactor: Redactor, text: str) -> None:
    assert redactor.redact(text).findings == ()
