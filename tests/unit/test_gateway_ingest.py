"""Platform webhooks through the gateway: signature, idempotency, numbering, bad input."""

from __future__ import annotations

import json

import httpx

from services.gateway.adapters import MemorySequencer
from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from shared.bus.memory import MemoryBus
from tests.gateway_checks import chatwoot_message, chatwoot_signed, originals

SECRET = "cw-secret-unit"


async def test_chatwoot_webhooks_become_numbered_idempotent_turns() -> None:
    bus = MemoryBus()
    settings = GatewaySettings(ingest_secrets={"acme": {"chatwoot": SECRET}})
    app = create_app(settings, bus, sequencer=MemorySequencer())
    first = json.dumps(chatwoot_message(101, "where is my parcel?")).encode()
    second = json.dumps(chatwoot_message(102, "I want to talk to a real person")).encode()
    url = "/v1/ingest/chatwoot?tenant=acme"
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as c,
    ):
        a = await c.post(url, content=first, headers=chatwoot_signed(first, SECRET))
        b = await c.post(url, content=second, headers=chatwoot_signed(second, SECRET))
        again = await c.post(url, content=first, headers=chatwoot_signed(first, SECRET))
        assert (a.status_code, b.status_code, again.status_code) == (202, 202, 202)
        assert again.json()["event_ids"] == a.json()["event_ids"], "redelivered webhook, same event"

        forged = await c.post(url, content=first, headers=chatwoot_signed(first, "wrong"))
        assert forged.status_code == 401
        assert forged.json()["error"] == "bad_signature"
        other_tenant = await c.post(
            "/v1/ingest/chatwoot?tenant=globex",
            content=first,
            headers=chatwoot_signed(first, SECRET),
        )
        assert other_tenant.status_code == 401
        unknown = await c.post("/v1/ingest/myspace?tenant=acme", content=first)
        assert unknown.status_code == 404
        assert "chatwoot" in unknown.json()["message"]

    turns = [
        json.loads(r.value)
        for r in bus.broker.records("baton.conversation.events")
        if b'"conversation.turn"' in r.value
    ]
    by_id = {t["event_id"]: t for t in turns}
    assert [(t["seq"], t["role"], t["session_id"]) for t in by_id.values()] == [
        (1, "customer", "chatwoot:2:7"),
        (2, "customer", "chatwoot:2:7"),
    ]
    assert all(t["tenant_id"] == "acme" for t in turns)
    dead = originals([r.value for r in bus.broker.records("baton.dlq")])
    assert dead == [first, first, first]


async def test_unverified_mode_and_bad_bodies() -> None:
    bus = MemoryBus()
    app = create_app(GatewaySettings(ingest_verify=False), bus, sequencer=MemorySequencer())
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as c,
    ):
        broken = await c.post(
            "/v1/ingest/intercom",
            content=b"{not json",
            headers={"content-type": "application/json"},
        )
        assert broken.status_code == 400
        shape = await c.post("/v1/ingest/connect", json=[1, 2, 3])
        assert shape.status_code == 422
        assert "JSON array" in shape.json()["message"]
    assert len(bus.broker.records("baton.dlq")) == 2
