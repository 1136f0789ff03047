"""The ingest gateway's HTTP edge: decode, validate, publish, answer."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any

import redis.asyncio as aioredis
from aiokafka.errors import KafkaError
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, generate_latest

from services.gateway.adapters import ADAPTERS, RedisSequencer, Sequencer, decode_body, sequence
from services.gateway.handlers import BadInput, parse_events
from services.gateway.settings import GatewaySettings
from shared.bus.base import Bus, Record
from shared.bus.codec import dead_letter, to_message
from shared.logging import get_logger
from shared.schemas.topics import CONVERSATION_EVENTS

log = get_logger("baton.gateway")
REQUESTS = Counter("baton_gateway_requests_total", "Ingest requests by outcome.", ["outcome"])


def create_app(
    settings: GatewaySettings, bus: Bus, *, sequencer: Sequencer | None = None
) -> FastAPI:
    """Build the ASGI app; the Kafka publisher (and Redis sequencer) live in its lifespan."""
    state: dict[str, Any] = {}

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await bus.ensure_topics(
            [CONVERSATION_EVENTS.name, "baton.dlq"], partitions=settings.topic_partitions
        )
        publisher = bus.publisher(client_id="baton-gateway")
        await publisher.start()
        state["publisher"] = publisher
        redis_client = None
        if sequencer is None:
            redis_client = aioredis.Redis.from_url(settings.redis_url)
            state["sequencer"] = RedisSequencer(
                redis_client, ttl_seconds=settings.session_ttl_seconds
            )
        else:
            state["sequencer"] = sequencer
        try:
            yield
        finally:
            await publisher.stop()
            if redis_client is not None:
                await redis_client.aclose()

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
        return JSONResponse({"ready": ready, "pid": os.getpid()}, status_code=200 if ready else 503)

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    async def reject(bad: BadInput, body: bytes, source: str) -> JSONResponse:
        REQUESTS.labels(bad.code).inc()
        raw = Record(source, -1, -1, None, body[: settings.gateway_max_body_bytes], 0)
        await state["publisher"].publish(
            [dead_letter(raw, reason=bad.code, error=bad.message, service="gateway")]
        )
        log.warning("ingest_rejected", code=bad.code, message=bad.message, source=source)
        return JSONResponse(bad.body(), status_code=bad.status)

    @app.post(
        "/v1/ingest/{platform}",
        status_code=202,
        responses={
            400: {"description": "not JSON / form"},
            401: {"description": "bad signature"},
            404: {"description": "unknown platform"},
            422: {"description": "unknown payload shape"},
        },
    )
    async def ingest(platform: str, request: Request) -> JSONResponse:
        """Normalise a platform's webhook into conversation events (idempotent per message)."""
        body = await request.body()
        source = f"http:/v1/ingest/{platform}"
        adapter = ADAPTERS.get(platform)
        if adapter is None:
            known = ", ".join(sorted(ADAPTERS))
            return await reject(
                BadInput(404, "unknown_platform", f"use one of: {known}"), body, source
            )
        tenant = (
            request.query_params.get("tenant")
            or request.headers.get("x-baton-tenant")
            or settings.default_tenant
        )
        headers = dict(request.headers)
        try:
            if len(body) > settings.gateway_max_body_bytes:
                raise BadInput(
                    413, "body_too_large", f"at most {settings.gateway_max_body_bytes} bytes"
                )
            if settings.ingest_verify:
                secret = settings.ingest_secrets.get(tenant, {}).get(platform)
                if secret is None:
                    raise BadInput(
                        401, "no_secret", f"no {platform} secret configured for {tenant}"
                    )
                if not adapter.verify(body, headers, secret, url=str(request.url)):
                    raise BadInput(401, "bad_signature", f"the {platform} signature does not match")
            payload = decode_body(body, request.headers.get("content-type"))
            events = await sequence(
                adapter.normalize(payload, tenant_id=tenant, headers=headers), state["sequencer"]
            )
        except BadInput as bad:
            return await reject(bad, body, source)
        await state["publisher"].publish([to_message(CONVERSATION_EVENTS, e) for e in events])
        REQUESTS.labels(f"ingest_{platform}").inc()
        return JSONResponse(
            {"accepted": len(events), "event_ids": [e.event_id for e in events]}, status_code=202
        )

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
                            "description": "One conversation event, or a JSON array of them, "
                            "as Baton JSON or structured-mode CloudEvents 1.0 (type "
                            "baton.<event_type>, data = the event); "
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
            return await reject(bad, body, "http:/v1/events")
        await publisher.publish([to_message(CONVERSATION_EVENTS, e) for e in events])
        REQUESTS.labels("accepted").inc()
        return JSONResponse(
            {"accepted": len(events), "event_ids": [e.event_id for e in events]}, status_code=202
        )

    return app
