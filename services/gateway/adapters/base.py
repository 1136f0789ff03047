"""What every platform adapter offers, and the helpers they share.

An adapter turns one platform's webhook body into Baton conversation events. ``normalize`` is
pure: the same payload always yields the same events with the same ``event_id`` (derived from
the platform's own message id), so a redelivered webhook is a duplicate downstream, not a new
turn. Turns come back with a placeholder ``seq`` of 1; :func:`~.sequencing.sequence` numbers
them per session before they are published.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

import orjson

from services.gateway.handlers import BadInput
from shared.schemas.envelope import Envelope

__all__ = [
    "TOKEN_HEADER",
    "TOKEN_QUERY",
    "Adapter",
    "BadInput",
    "decode_body",
    "header",
    "hmac_hex",
    "same",
    "token_matches",
]

# For platforms that sign nothing (Amazon Connect forwarders, old Chatwoot): a shared token.
TOKEN_HEADER = "X-Baton-Token"
TOKEN_QUERY = "baton_token"


class Adapter(Protocol):
    """One platform's webhooks in, Baton conversation events out."""

    name: str

    def normalize(
        self, payload: Any, *, tenant_id: str, headers: Mapping[str, str]
    ) -> list[Envelope]:
        """Map a decoded webhook body to events; raise BadInput for a shape it does not know.

        A known event that means nothing to Baton (typing, read receipts, private notes)
        maps to an empty list.
        """
        ...

    def verify(self, body: bytes, headers: Mapping[str, str], secret: str, *, url: str) -> bool:
        """Check the platform's signature on the raw body; ``url`` is the public request URL."""
        ...


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Return a header's value whatever its case (a plain dict is not case-insensitive)."""
    value = headers.get(name)
    if value is not None:
        return value
    wanted = name.lower()
    for key, val in headers.items():
        if key.lower() == wanted:
            return val
    return None


def decode_body(body: bytes, content_type: str | None = None) -> Any:
    """Decode a webhook body: form-encoded when the content type says so, else JSON."""
    if not body.strip():
        raise BadInput(400, "empty_body", "the request body is empty; send the platform's webhook")
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media == "application/x-www-form-urlencoded":
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadInput(400, "invalid_form", f"the form body is not UTF-8: {exc}") from exc
        return dict(parse_qsl(text, keep_blank_values=True))
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadInput(400, "invalid_json", f"the body is not valid JSON: {exc}") from exc


def same(given: str | None, expected: str) -> bool:
    """Compare two secrets in constant time; an empty expected secret never matches."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def hmac_hex(secret: str, message: bytes, digest: str) -> str:
    """Return the hex HMAC of ``message`` under ``secret`` with the named hash."""
    return hmac.new(secret.encode(), message, getattr(hashlib, digest)).hexdigest()


def token_matches(headers: Mapping[str, str], secret: str, *, url: str) -> bool:
    """Accept the shared token from the ``X-Baton-Token`` header or the ``baton_token`` query."""
    if same(header(headers, TOKEN_HEADER), secret):
        return True
    query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    return same(query.get(TOKEN_QUERY), secret)
