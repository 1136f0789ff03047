"""The desk's edges: Kafka in (packets), HTTP/WebSocket/SSE to agents, events out."""

# No "from __future__ import annotations" here: FastAPI resolves the route signatures at
# runtime, and the dependency alias below is local to create_app.

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Annotated, Any

import orjson
from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request, WebSocket
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, generate_latest
from pydantic import BaseModel, Field

from services.desk import handlers
from services.desk.handlers import Deps, DeskError, view
from services.desk.hub import Hub
from services.desk.queue import DeskQueue
from services.desk.settings import DeskSettings
from services.desk.tokens import Agent, TokenError, verify
from shared.bus.base import Bus, Message, Publisher
from shared.bus.codec import to_message
from shared.runtime import StreamApp, StreamRunner, every
from shared.schemas.envelope import Envelope
from shared.schemas.topics import HANDOFF_PACKETS, topic_for
from shared.state.base import StateStore

PAGE = Path(__file__).parent / "static" / "desk.html"
ACTIONS = Counter("baton_desk_actions_total", "Agent actions.", ["action", "outcome"])
CONNECTED = Gauge("baton_desk_connected_agents", "Agents connected to this desk process.")
BREACHES = Counter("baton_desk_sla_breaches_total", "Handoffs not accepted within their SLA.")


class TransferBody(BaseModel):
    to_queue: str = Field(min_length=1, max_length=200)


class FeedbackBody(BaseModel):
    rating: int = Field(ge=1, le=5)
    missing_facts: list[str] = Field(default_factory=list, max_length=50)
    comment: str | None = Field(default=None, max_length=2000)


def create_app(settings: DeskSettings, bus: Bus, store: StateStore) -> FastAPI:
    """Build the desk app; its Kafka consumer, publisher and SLA monitor live in the lifespan."""
    hub = Hub()
    deps = Deps(
        store=store,
        queue=DeskQueue(store, namespace=settings.topic_prefix),
        hub=hub,
        overflow_suffix=settings.overflow_suffix,
        callback_after_seconds=settings.callback_after_seconds,
    )
    state: dict[str, Any] = {}

    async def publish(events: Sequence[Envelope]) -> None:
        if events:
            await state["publisher"].publish([to_message(topic_for(e), e) for e in events])

    async def on_batch(events: Sequence[Envelope]) -> list[Message]:
        return [to_message(topic_for(e), e) for e in await handlers.on_packets(events, deps)]

    async def sla_monitor(publisher: Publisher, stop: asyncio.Event) -> None:
        async def check() -> None:
            out = await handlers.check_sla(deps)
            if out:
                BREACHES.inc(sum(1 for e in out if e.event_type == "handoff.sla_breached"))
                await publisher.publish([to_message(topic_for(e), e) for e in out])

        await every(settings.sla_check_seconds, check, stop, name="sla_check")

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        publisher = bus.publisher(client_id="baton-desk")
        await publisher.start()
        state["publisher"] = publisher
        stream = StreamApp(
            name="desk",
            consumes=(HANDOFF_PACKETS,),
            handle=on_batch,
            background=(sla_monitor,),
            dead_letters_for=frozenset(),
        )
        runner = StreamRunner(stream, bus, group_prefix=settings.consumer_group_prefix)
        stop = asyncio.Event()
        task = asyncio.create_task(runner.run(stop))
        state["runner"] = runner
        try:
            yield
        finally:
            stop.set()
            await task
            await publisher.stop()

    app = FastAPI(title="Baton agent desktop gateway", version="1", lifespan=lifespan)

    def agent_of(
        authorization: Annotated[str | None, Header()] = None,
        token: Annotated[str | None, Query()] = None,
    ) -> Agent:
        raw = token or (authorization or "").removeprefix("Bearer ").strip()
        if not raw:
            raise HTTPException(401, "missing agent token (Authorization: Bearer ... or ?token=)")
        try:
            return verify(settings.desk_secrets, raw)
        except TokenError as exc:
            raise HTTPException(401, str(exc)) from exc

    AgentDep = Annotated[Agent, Depends(agent_of)]

    async def visible(agent: Agent) -> list[dict[str, Any]]:
        items = await deps.queue.items(agent.tenant_id)
        return [
            view(i)
            for i in items
            if (i.status == "open" and agent.serves(i.queue)) or i.agent_id == agent.agent_id
        ]

    async def act(name: str, coro: Any) -> JSONResponse:
        try:
            events = await coro
        except DeskError as exc:
            ACTIONS.labels(name, str(exc.status)).inc()
            return JSONResponse({"error": exc.message}, status_code=exc.status)
        await publish(events)
        ACTIONS.labels(name, "ok").inc()
        return JSONResponse({"ok": True, "events": [e.event_type for e in events]})

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        return {"status": "ok", "service": "desk", "agents": hub.connected}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        runner = state.get("runner")
        ok = runner is not None and runner.ready.is_set() and await store.ping()
        return JSONResponse({"ready": ok, "pid": os.getpid()}, status_code=200 if ok else 503)

    @app.get("/metrics")
    async def metrics() -> Response:
        CONNECTED.set(hub.connected)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/desk", response_class=HTMLResponse)
    async def page() -> HTMLResponse:
        return HTMLResponse(PAGE.read_text(encoding="utf-8"))

    @app.get("/v1/desk/queue")
    async def queue(agent: AgentDep) -> dict[str, Any]:
        return {"agent": agent.agent_id, "tenant": agent.tenant_id, "items": await visible(agent)}

    @app.post("/v1/desk/handoffs/{packet_id}/accept")
    async def accept(packet_id: str, agent: AgentDep) -> JSONResponse:
        return await act("accept", handlers.accept(deps, agent, packet_id))

    @app.post("/v1/desk/handoffs/{packet_id}/release")
    async def release(packet_id: str, agent: AgentDep) -> JSONResponse:
        return await act("release", handlers.release(deps, agent, packet_id))

    @app.post("/v1/desk/handoffs/{packet_id}/transfer")
    async def transfer(packet_id: str, body: TransferBody, agent: AgentDep) -> JSONResponse:
        return await act("transfer", handlers.transfer(deps, agent, packet_id, body.to_queue))

    @app.post("/v1/desk/handoffs/{packet_id}/feedback")
    async def feedback(packet_id: str, body: FeedbackBody, agent: AgentDep) -> JSONResponse:
        return await act(
            "feedback",
            handlers.feedback(
                deps,
                agent,
                packet_id,
                rating=body.rating,
                missing=body.missing_facts,
                comment=body.comment,
            ),
        )

    @app.get("/v1/desk/events")
    async def sse(request: Request, agent: AgentDep) -> StreamingResponse:
        sub = hub.subscribe(agent)

        async def stream() -> AsyncIterator[bytes]:
            try:
                backlog = {"type": "backlog", "items": await visible(agent)}
                yield b"event: backlog\ndata: " + orjson.dumps(backlog) + b"\n\n"
                while not await request.is_disconnected():
                    try:
                        msg = await asyncio.wait_for(sub.inbox.get(), 15)
                    except TimeoutError:
                        yield b": keep-alive\n\n"
                        continue
                    yield f"event: {msg['type']}\ndata: ".encode() + orjson.dumps(msg) + b"\n\n"
            finally:
                hub.unsubscribe(sub)

        return StreamingResponse(stream(), media_type="text/event-stream")

    @app.websocket("/v1/desk/ws")
    async def ws(socket: WebSocket, token: str | None = None) -> None:
        try:
            agent = verify(settings.desk_secrets, token or "")
        except TokenError as exc:
            await socket.close(code=4401, reason=str(exc)[:100])
            return
        await socket.accept()
        sub = hub.subscribe(agent)

        async def push() -> None:
            await socket.send_text(
                orjson.dumps({"type": "backlog", "items": await visible(agent)}).decode()
            )
            while True:
                await socket.send_text(orjson.dumps(await sub.inbox.get()).decode())

        async def listen() -> None:
            # Notice a client (or a server shutdown) closing even while nothing is sent.
            while (await socket.receive())["type"] != "websocket.disconnect":
                pass

        tasks = {asyncio.create_task(push()), asyncio.create_task(listen())}
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            hub.unsubscribe(sub)

    return app
