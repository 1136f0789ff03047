"""Sentiment service wiring."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence

from services.nlu import sentiment_model
from services.sentiment.handlers import HANDLERS, Deps
from services.sentiment.settings import SentimentSettings
from shared.bus.base import Message
from shared.observability import ReadinessCheck
from shared.routing import route
from shared.runtime import StreamApp
from shared.schemas.envelope import Envelope
from shared.schemas.topics import CONVERSATION_EVENTS


def build_deps(settings: SentimentSettings) -> Deps:
    return Deps(model=sentiment_model.load_default())


def build_app(deps: Deps) -> StreamApp:
    async def handle(events: Sequence[Envelope]) -> list[Message]:
        return await route(events, HANDLERS, deps)

    return StreamApp(
        name="sentiment",
        consumes=(CONVERSATION_EVENTS,),
        handle=handle,
        dead_letters_for=frozenset(),
    )


@contextlib.asynccontextmanager
async def bootstrap(
    settings: SentimentSettings,
) -> AsyncIterator[tuple[StreamApp, dict[str, ReadinessCheck]]]:
    yield build_app(build_deps(settings)), {}
