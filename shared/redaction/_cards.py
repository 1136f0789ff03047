"""Find payment card numbers, trusting only Luhn-valid numbers from payment networks."""

from __future__ import annotations

import re
from collections.abc import Iterator

from stdnum import luhn

from shared.redaction._context import inside_iban, labelled_shipment
from shared.redaction._model import Finding

KIND = "card_number"
_MIN_DIGITS = 13
_MAX_DIGITS = 19
# Room for an expiry and a CVV typed straight after the number ("4242 ... 4242 0927 123");
# more trailing digits mean one long identifier, such as a parcel number, not a card.
_MAX_TRAILING_DIGITS = 7
# Likewise a short count or item number may precede it ("card 2 4242 ...").
_MAX_LEADING_DIGITS = 3
# Issuer ranges (first digits, inclusive) and lengths of the card networks. Luhn alone passes
# one number in ten, so a date-stamped reference like "2026031200017" must also look issued.
_NETWORKS: tuple[tuple[str, str, range], ...] = (
    ("4", "4", range(13, 20, 3)),  # Visa: 13, 16, 19
    ("51", "55", range(16, 17)),  # Mastercard
    ("2221", "2720", range(16, 17)),  # Mastercard 2-series
    ("34", "34", range(15, 16)),  # American Express
    ("37", "37", range(15, 16)),
    ("300", "305", range(14, 20)),  # Diners Club
    ("36", "36", range(14, 20)),
    ("38", "39", range(14, 20)),
    ("3528", "3589", range(16, 20)),  # JCB
    ("6011", "6011", range(16, 20)),  # Discover
    ("644", "649", range(16, 20)),
    ("62", "62", range(16, 20)),  # UnionPay
    ("50", "50", range(13, 20)),  # Maestro, RuPay
    ("56", "69", range(13, 20)),  # Maestro, Discover 65, RuPay 60
    ("2200", "2204", range(16, 20)),  # Mir
    ("81", "82", range(16, 17)),  # RuPay
    ("9792", "9792", range(16, 17)),  # Troy
)
# Digit groups joined by single spaces or dashes, not glued to letters (UPS "1Z..." ids) and
# not after "+", which starts an international phone number.
_RUN = re.compile(r"(?<![0-9A-Za-z+])[0-9]+(?:[ -][0-9]+)*(?![0-9A-Za-z])")
_GROUP = re.compile(r"[0-9]+")


def find_cards(text: str, digits: int) -> Iterator[Finding]:
    """Yield Luhn-valid card numbers, also when a count, expiry or CVV touches them."""
    if digits < _MIN_DIGITS:
        return
    for run in _RUN.finditer(text):
        if run.end() - run.start() >= _MIN_DIGITS:
            finding = _card_in(text, run)
            if finding is not None:
                yield finding


def _card_in(text: str, run: re.Match[str]) -> Finding | None:
    groups = [(run.start() + g.start(), run.start() + g.end()) for g in _GROUP.finditer(run[0])]
    total = sum(end - start for start, end in groups)
    skipped = 0
    for first, (start, end) in enumerate(groups):
        if skipped > _MAX_LEADING_DIGITS:
            break
        finding = _longest_card_from(text, groups[first:], total - skipped)
        if finding is not None:
            return finding
        skipped += end - start
    return None


def _longest_card_from(text: str, groups: list[tuple[int, int]], total: int) -> Finding | None:
    number = ""
    candidates: list[tuple[str, int]] = []
    for start, end in groups:
        number += text[start:end]
        if len(number) > _MAX_DIGITS:
            break
        if len(number) >= _MIN_DIGITS and total - len(number) <= _MAX_TRAILING_DIGITS:
            candidates.append((number, end))
    start = groups[0][0]
    for number, end in reversed(candidates):
        if _is_card(number) and not (labelled_shipment(text, start) or inside_iban(text, start)):
            return Finding(KIND, start, end, text[start:end], f"[CARD ****{number[-4:]}]")
    return None


def _is_card(number: str) -> bool:
    issued = any(
        low <= number[: len(low)] <= high and len(number) in lengths
        for low, high, lengths in _NETWORKS
    )
    return issued and luhn.is_valid(number)
