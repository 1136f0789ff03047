"""Combine the detectors into one pass that replaces PII before text leaves the process."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import phonenumbers

from shared.redaction import _cards, _email, _iban, _ip, _phone, _ssn
from shared.redaction._model import Finding, Redacted

_Finder = Callable[[str, int], Iterator[Finding]]

# When detections overlap the stronger evidence wins: an '@' or a checksum beats a shape.
_PRIORITY: tuple[str, ...] = (
    _email.KIND,
    _iban.KIND,
    _cards.KIND,
    _ssn.KIND,
    _ip.KIND,
    _phone.KIND,
)
ALL_KINDS: frozenset[str] = frozenset(_PRIORITY)
_DROP_DIGITS = str.maketrans("", "", "0123456789")


class Redactor:
    """Replace PII of the chosen kinds with typed placeholders."""

    def __init__(self, *, kinds: Iterable[str] | None = None, default_region: str = "US") -> None:
        """Build the detectors once so that each call only scans."""
        chosen = ALL_KINDS if kinds is None else frozenset(kinds)
        unknown = chosen - ALL_KINDS
        if unknown:
            raise ValueError(f"unknown PII kinds {sorted(unknown)}; known: {sorted(ALL_KINDS)}")
        region = default_region.upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"unknown phone region {default_region!r}")
        finders: dict[str, _Finder] = {
            _email.KIND: _email.find_emails,
            _iban.KIND: _iban.find_ibans,
            _cards.KIND: _cards.find_cards,
            _ssn.KIND: _ssn.find_ssns,
            _ip.KIND: _ip.find_ips,
            _phone.KIND: _phone.phone_finder(region),
        }
        self.kinds: frozenset[str] = chosen
        self._finders: tuple[_Finder, ...] = tuple(finders[k] for k in _PRIORITY if k in chosen)

    def redact(self, text: str) -> Redacted:
        """Return the text with PII replaced and the findings, offsets into the original."""
        digits = _count_digits(text)
        if digits == 0 and "@" not in text:
            return Redacted(text, ())
        accepted: list[Finding] = []
        scanned = text
        for finder in self._finders:
            found = [f for f in finder(scanned, digits) if not _overlaps_any(f, accepted)]
            if found:
                accepted.extend(found)
                # Blank what is claimed so weaker detectors neither re-match nor pay for it.
                scanned = _blank(scanned, found)
                digits = _count_digits(scanned)
        if not accepted:
            return Redacted(text, ())
        accepted.sort(key=lambda f: f.start)
        return Redacted(_splice(text, accepted), tuple(accepted))

    def redact_text(self, text: str) -> str:
        """Return only the redacted text, for callers that keep no audit trail."""
        return self.redact(text).text


def _count_digits(text: str) -> int:
    if text.isascii():
        return len(text) - len(text.translate(_DROP_DIGITS))
    # libphonenumber reads Arabic-Indic, Devanagari and full-width digits too.
    return sum(char.isdigit() for char in text)


def _overlaps_any(finding: Finding, accepted: list[Finding]) -> bool:
    return any(finding.overlaps(kept) for kept in accepted)


def _blank(text: str, findings: list[Finding]) -> str:
    for finding in findings:
        text = text[: finding.start] + " " * (finding.end - finding.start) + text[finding.end :]
    return text


def _splice(text: str, findings: list[Finding]) -> str:
    parts: list[str] = []
    cursor = 0
    for finding in findings:
        parts.append(text[cursor : finding.start])
        parts.append(finding.replacement)
        cursor = finding.end
    parts.append(text[cursor:])
    return "".join(parts)
