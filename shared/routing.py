"""Route a batch of events to handlers by event type, keeping each type's order."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from shared.bus.base import Message
from shared.bus.codec import to_message
from shared.schemas.envelope import Envelope
from shared.schemas.topics import topic_for

D = TypeVar("D")

# A handler takes the events of one type (in arrival order) and its dependencies,
# and returns the new events to publish.
Handler = Callable[[Sequence[Any], D], Awaitable[Sequence[Envelope]]]


async def route(
    events: Sequence[Envelope], table: Mapping[type[Envelope], Handler[D]], deps: D
) -> list[Message]:
    """Call each type's handler once with its events; unknown types are skipped."""
    by_type: dict[type[Envelope], list[Envelope]] = {}
    for e in events:
        if type(e) in table:
            by_type.setdefault(type(e), []).append(e)
    out: list[Message] = []
    for kind, group in by_type.items():
        for new in await table[kind](group, deps):
            out.append(to_message(topic_for(new), new))
    return out
