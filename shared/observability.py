"""Health and Prometheus endpoints, served by every service on its own port."""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

ReadinessCheck = Callable[[], Awaitable[tuple[bool, str]]]


class HealthServer:
    """``/healthz`` (process alive), ``/readyz`` (dependencies answer), ``/metrics``."""

    def __init__(
        self, service: str, host: str, port: int, checks: dict[str, ReadinessCheck]
    ) -> None:
        self.service = service
        self._host, self._port = host, port
        self._checks = checks
        self._runner: web.AppRunner | None = None
        self.started_at = time.time()
        self.bound_port: int | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.bound_port = sockets[0].getsockname()[1] if sockets else self._port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _healthz(self, _req: web.Request) -> web.Response:
        return web.json_response(
            {"status": "ok", "service": self.service, "uptime_s": time.time() - self.started_at}
        )

    async def _readyz(self, _req: web.Request) -> web.Response:
        results: dict[str, str] = {}
        ready = True
        for name, check in self._checks.items():
            try:
                ok, detail = await check()
            except Exception as exc:  # a failing dependency is a "not ready", not a crash
                ok, detail = False, repr(exc)
            ready = ready and ok
            results[name] = detail
        # The pid tells a supervisor that its own child answered, not a stray process
        # holding the port.
        return web.json_response(
            {"ready": ready, "service": self.service, "pid": os.getpid(), "checks": results},
            status=200 if ready else 503,
        )

    async def _metrics(self, _req: web.Request) -> web.Response:
        return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})
