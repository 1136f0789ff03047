"""Find IPv4 and IPv6 addresses that identify a customer's device."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator

from shared.redaction._model import Finding

KIND = "ip_address"
REPLACEMENT = "[IP]"
_IPV4 = re.compile(r"(?<![\w.])(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?![\w]|\.[0-9])")
_IPV6 = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:]|\.[0-9])")
# "version 1.2.3.4" is a software version the agent may need, not an address.
_VERSION_LABEL = re.compile(r"\b(?:version|ver\.?|build|release)\s*[#:]?\s*$", re.IGNORECASE)


def find_ips(text: str, digits: int) -> Iterator[Finding]:
    """Yield syntactically valid IP addresses, skipping dotted software versions."""
    if digits >= 4 and "." in text:
        for match in _IPV4.finditer(text):
            before = text[max(0, match.start() - 20) : match.start()]
            if _is_ip(match[0]) and not _VERSION_LABEL.search(before):
                yield Finding(KIND, match.start(), match.end(), match[0], REPLACEMENT)
    if text.count(":") >= 2:
        for match in _IPV6.finditer(text):
            if sum(c != ":" for c in match[0]) >= 2 and _is_ip(match[0]):
                yield Finding(KIND, match.start(), match.end(), match[0], REPLACEMENT)


def _is_ip(candidate: str) -> bool:
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return False
    return True
