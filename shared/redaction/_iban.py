"""Find IBANs, trusting only those whose mod-97 checksum and country format hold."""

from __future__ import annotations

import re
from collections.abc import Iterator

from stdnum import iban

from shared.redaction._model import Finding

KIND = "iban"
REPLACEMENT = "[IBAN]"
_MIN_LENGTH = 15  # Norway
_MAX_LENGTH = 34
# Country code and check digits start a candidate; alphanumeric groups joined by single
# spaces or dashes may follow, and the checksum decides how many of them belong to it.
_HEAD = re.compile(r"(?<![0-9A-Za-z])[A-Za-z]{2}[0-9]{2}")
_GROUP = re.compile(r"[ -]?([0-9A-Za-z]+)")


def find_ibans(text: str, digits: int) -> Iterator[Finding]:
    """Yield checksum-valid IBANs written compactly or in groups, in any letter case."""
    if digits < 4:
        return
    resume = 0
    for head in _HEAD.finditer(text):
        if head.start() < resume:
            continue
        found = _longest_iban(text, head)
        if found is not None:
            resume = found.end
            yield found


def _longest_iban(text: str, head: re.Match[str]) -> Finding | None:
    compact, end = head[0], head.end()
    ends: list[tuple[str, int]] = []
    while (group := _GROUP.match(text, end)) is not None:
        compact += group[1]
        end = group.end()
        if len(compact) > _MAX_LENGTH:
            break
        if len(compact) >= _MIN_LENGTH:
            ends.append((compact, end))
    start = head.start()
    for number, stop in reversed(ends):
        # Country modules (e.g. Belgium's) also demand a bank code from a bundled registry that
        # goes stale; a redactor must not let a real IBAN through for that, so mod-97 and the
        # country's length and layout decide.
        if iban.is_valid(number, check_country=False):
            return Finding(KIND, start, stop, text[start:stop], REPLACEMENT)
    return None
