"""Context rules that tell a customer's identifier from an operational one."""

from __future__ import annotations

import re

_LOOKBACK = 40

# A number right after one of these labels names an order, parcel or ticket the agent needs.
_IDENTIFIER_LABEL = re.compile(
    r"\b(?:order|tracking|track|shipment|parcel|package|invoice|inv|ref|reference|ticket|case"
    r"|confirmation|conf|booking|reservation|account|acct|item|sku|po|rma|claim|policy"
    r"|membership|member|customer|transaction|txn|receipt|serial|model|part|return"
    r"|fedex|ups|usps|dhl)"
    r"(?:\s+(?:number|no\.?|num|nr\.?|id|code))?"
    r"(?:\s*[#:]|\s+(?:is|was|=))*\s*$",
)
_SHIPPING_LABEL = re.compile(
    r"\b(?:tracking|track|shipment|parcel|package|fedex|ups|usps|dhl)"
    r"(?:\s+(?:number|no\.?|num|nr\.?|id|code))?"
    r"(?:\s*[#:]|\s+(?:is|was|=))*\s*$",
)

# The grouped head of an IBAN ("DE89 3704 ..."): the digits after it are an account, and when
# its checksum failed they are a typo, not a card or a phone number.
_IBAN_HEAD = re.compile(r"(?<![0-9a-z])[a-z]{2}[0-9]{2}(?:[ -][0-9a-z]{4})*[ -]$")


def _before(text: str, start: int) -> str:
    return text[max(0, start - _LOOKBACK) : start].lower()


def labelled_identifier(text: str, start: int) -> bool:
    """Tell whether the number at `start` is introduced as an order, ticket or similar id."""
    return _IDENTIFIER_LABEL.search(_before(text, start)) is not None


def labelled_shipment(text: str, start: int) -> bool:
    """Tell whether the number at `start` is introduced as a parcel tracking number."""
    return _SHIPPING_LABEL.search(_before(text, start)) is not None


def inside_iban(text: str, start: int) -> bool:
    """Tell whether the digits at `start` continue an IBAN-shaped sequence of groups."""
    return _IBAN_HEAD.search(_before(text, start)) is not None


def near(
    pattern: re.Pattern[str], text: str, start: int, end: int, *, before: int, after: int
) -> bool:
    """Tell whether `pattern` occurs within the given distance around a span."""
    return pattern.search(text, max(0, start - before), min(len(text), end + after)) is not None
