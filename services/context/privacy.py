"""Decide what to redact from a packet: tenant policy, then the session's consent flag."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from shared.policy.model import PiiPolicy
from shared.redaction import Redactor

Redact = Callable[[str], str]


@lru_cache(maxsize=32)
def _redactor(kinds: frozenset[str]) -> Redactor:
    return Redactor(kinds=kinds)


def redactor_for(pii: PiiPolicy, *, consented: bool) -> Redact:
    """The redaction to apply: every configured kind, or only the always-kinds with consent."""
    if not pii.enabled:
        return _identity
    kinds = frozenset(pii.always if consented else pii.kinds)
    if not kinds:
        return _identity
    return _redactor(kinds).redact_text


def _identity(text: str) -> str:
    return text
