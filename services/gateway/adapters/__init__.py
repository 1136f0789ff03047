"""Platform webhooks in, Baton conversation events out: one adapter per platform.

``POST /v1/ingest/{platform}`` looks the platform up in :data:`ADAPTERS`, checks the
signature with ``verify``, decodes the body with :func:`decode_body`, maps it with
``normalize``, numbers the turns with :func:`sequence`, and publishes the result.
"""

from __future__ import annotations

from services.gateway.adapters.base import Adapter, decode_body
from services.gateway.adapters.chatwoot import ChatwootAdapter
from services.gateway.adapters.connect import ConnectAdapter
from services.gateway.adapters.intercom import IntercomAdapter
from services.gateway.adapters.sequencing import (
    MemorySequencer,
    RedisSequencer,
    Sequencer,
    sequence,
)
from services.gateway.adapters.sunshine import SunshineAdapter
from services.gateway.adapters.twilio import TwilioAdapter

ADAPTERS: dict[str, Adapter] = {
    adapter.name: adapter
    for adapter in (
        SunshineAdapter(),
        TwilioAdapter(),
        ConnectAdapter(),
        ChatwootAdapter(),
        IntercomAdapter(),
    )
}

__all__ = [
    "ADAPTERS",
    "Adapter",
    "ChatwootAdapter",
    "ConnectAdapter",
    "IntercomAdapter",
    "MemorySequencer",
    "RedisSequencer",
    "Sequencer",
    "SunshineAdapter",
    "TwilioAdapter",
    "decode_body",
    "sequence",
]
