"""Gateway behaviour, run on the in-memory bus and on real Kafka."""

from __future__ import annotations

import base64
import json
import os
import uuid

import httpx

from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from shared.bus.base import Bus


def turn(session: str, seq: int = 1, **over: object) -> dict[str, object]:
    body: dict[str, object] = {
        "event_type": "conversation.turn",
        "tenant_id": "acme",
        "session_id": session,
        "seq": seq,
        "role": "customer",
        "text": "hello",
    }
    body.update(over)
    return body


async def check_gateway(bus: Bus) -> tuple[list[str], list[bytes]]:
    """Post good and bad bodies; return accepted event ids and the raw bytes refused."""
    settings = GatewaySettings(gateway_max_batch=3)
    session = f"gw-{uuid.uuid4().hex[:8]}"
    refused: list[bytes] = []
    app = create_app(settings, bus)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://gw") as client,
    ):
        ok = await client.post("/v1/events", json=turn(session))
        assert ok.status_code == 202, ok.text
        batch = await client.post("/v1/events", json=[turn(session, 2), turn(session, 3)])
        assert batch.status_code == 202
        assert batch.json()["accepted"] == 2

        bad_json = b'{"event_type": "conversation.turn", ' + uuid.uuid4().hex.encode()
        r = await client.post(
            "/v1/events", content=bad_json, headers={"content-type": "application/json"}
        )
        assert r.status_code == 400
        assert r.json()["error"] == "invalid_json"
        refused.append(bad_json)

        invalid = json.dumps([turn(session, 4), turn(session, 5, role="robot")]).encode()
        r = await client.post(
            "/v1/events", content=invalid, headers={"content-type": "application/json"}
        )
        assert r.status_code == 422
        err = r.json()
        assert err["error"] == "invalid_event"
        assert err["errors"][0]["index"] == 1
        assert "role" in err["errors"][0]["field"]
        refused.append(invalid)

        too_many = await client.post("/v1/events", json=[turn(session, i) for i in range(1, 5)])
        assert too_many.status_code == 413
        refused.append(too_many.request.content)

        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/readyz")).json() == {"ready": True, "pid": os.getpid()}
        assert "baton_gateway_requests_total" in (await client.get("/metrics")).text
        assert "/v1/events" in (await client.get("/openapi.json")).json()["paths"]
    accepted = ok.json()["event_ids"] + batch.json()["event_ids"]
    return accepted, refused


def originals(dead_values: list[bytes]) -> list[bytes]:
    return [base64.b64decode(json.loads(v)["original_b64"]) for v in dead_values]


def chatwoot_message(
    mid: int, content: str, *, conversation: int = 7, contact: int = 42
) -> dict[str, object]:
    """A Chatwoot message_created webhook as its docs show it."""
    body: dict[str, object] = {
        "event": "message_created",
        "id": mid,
        "content": content,
        "created_at": "2026-11-22T10:00:00.000Z",
        "message_type": "incoming",
        "content_type": "text",
        "content_attributes": {},
        "private": False,
        "sender": {"id": 42, "name": "Jane Doe", "type": "contact"},
        "contact": {"id": 42, "name": "Jane Doe"},
        "conversation": {
            "id": conversation,
            "inbox_id": 3,
            "account_id": 2,
            "status": "pending",
            "meta": {"sender": {"id": 42, "name": "Jane Doe", "type": "contact"}},
            "messages": [],
            "created_at": 1795385000,
            "timestamp": 1795385000,
        },
        "inbox": {"id": 3, "name": "Website"},
        "account": {"id": 2, "name": "Acme"},
    }
    text = json.dumps(body).replace('"id": 42,', f'"id": {contact},')
    return dict(json.loads(text))


def chatwoot_signed(body: bytes, secret: str) -> dict[str, str]:
    import hashlib
    import hmac
    import time

    stamp = int(time.time())
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {
        "X-Chatwoot-Signature": f"sha256={digest}",
        "X-Chatwoot-Timestamp": str(stamp),
        "content-type": "application/json",
    }
