"""The ingest gateway's HTTP edge: decode, validate, publish, answer."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from aiokafka.errors import KafkaError
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, generate_latest

from services.gateway.handlers import BadInput, parse_events
from services.gateway.settings import GatewaySettings
from shared.bus.base import Bus, Publisher, Record
from shared.bus.codec import dead_letter, to_message
from shared.logging import get_logger
from shared.schemas.topics import CONVERSATION_EVENTS

log = get_logger("baton.gateway")
REQUESTS = Counter("baton_gateway_requests_total", "Ingest requests by outcome.", ["outcome"])


def create_app(settings: GatewaySettings, bus: Bus) -> FastAPI:
    """Build the ASGI app; the Kafka publisher lives inside its lifespan."""
    state: dict[str, Publisher] = {}

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await bus.ensure_topics(
            [CONVERSATION_EVENTS.name, "baton.dlq"], partitions=settings.topic_partitions
        )
        publisher = bus.publisher(client_id="baton-gateway")
        await publisher.start()
        state["publisher"] = publisher
        try:
            yield
        finally:
            await publisher.stop()

    app = FastAPI(
        title="Baton ingest gateway",
        version="1",
        description="Validates conversation events and puts them on baton.conversation.events.",
        lifespan=lifespan,
    )

    @app.exception_handler(KafkaError)
    async def broker_down(_request: Request, exc: KafkaError) -> JSONResponse:
        # Our outage, not the sender's mistake: 503 tells them to retry.
        log.error("ingest_broker_unavailable", error=repr(exc))
        return JSONResponse(
            {"error": "broker_unavailable", "message": "Kafka is unavailable; retry later"},
            status_code=503,
            headers={"Retry-After": "5"},
        )

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": "gateway"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        ready = "publisher" in state
        return JSONResponse({"ready": ready}, status_code=200 if ready else 503)

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.post(
        "/v1/events",
        status_code=202,
        responses={400: {"description": "not JSON"}, 422: {"description": "schema-invalid event"}},
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "description": "One conversation event, or a JSON array of them; "
                            "see shared/schemas/json for each event's schema."
                        }
                    }
                },
            }
        },
    )
    async def post_events(request: Request) -> JSONResponse:
        body = await request.body()
        publisher = state["publisher"]
        try:
            if len(body) > settings.gateway_max_body_bytes:
                raise BadInput(
                    413, "body_too_large", f"at most {settings.gateway_max_body_bytes} bytes"
                )
            events = parse_events(body, max_batch=settings.gateway_max_batch)
        except BadInput as bad:
            REQUESTS.labels(bad.code).inc()
            raw = Record(
                "http:/v1/events", -1, -1, None, body[: settings.gateway_max_body_bytes], 0
            )
            await publisher.publish(
                [dead_letter(raw, reason=bad.code, error=bad.message, service="gateway")]
            )
            log.warning("ingest_rejected", code=bad.code, message=bad.message)
            return JSONResponse(bad.body(), status_code=bad.status)
        await publisher.publish([to_message(CONVERSATION_EVENTS, e) for e in events])
        REQUESTS.labels("accepted").inc()
        return JSONResponse(
            {"accepted": len(events), "event_ids": [e.event_id for e in events]}, status_code=202
        )

    return app
