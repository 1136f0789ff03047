"""Intent service wiring: load the model once, then run the stream loop."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence

from services.intent.handlers import HANDLERS, Deps
from services.intent.settings import IntentSettings
from services.nlu import catalog, entities, intent_model
from shared.bus.base import Message
from shared.observability import ReadinessCheck
from shared.routing import route
from shared.runtime import StreamApp
from shared.schemas.envelope import Envelope
from shared.schemas.topics import CONVERSATION_EVENTS


def build_deps(settings: IntentSettings) -> Deps:
    model = (
        intent_model.IntentModel.load(settings.intent_model_dir)
        if settings.intent_model_dir
        else intent_model.load_default()
    )
    return Deps(
        model=model,
        catalog=catalog.load_catalog(settings.intent_catalog),
        extract=entities.extract_entities,
    )


def build_app(deps: Deps) -> StreamApp:
    async def handle(events: Sequence[Envelope]) -> list[Message]:
        return await route(events, HANDLERS, deps)

    return StreamApp(
        name="intent",
        consumes=(CONVERSATION_EVENTS,),
        handle=handle,
        dead_letters_for=frozenset({CONVERSATION_EVENTS.name}),
    )


@contextlib.asynccontextmanager
async def bootstrap(
    settings: IntentSettings,
) -> AsyncIterator[tuple[StreamApp, dict[str, ReadinessCheck]]]:
    yield build_app(build_deps(settings)), {}
