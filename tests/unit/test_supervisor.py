"""The supervisor stops its processes with SIGTERM, paused ones included."""

from __future__ import annotations

import asyncio
import signal
import sys

import pytest

from services.cli.supervisor import Supervisor


async def test_a_paused_process_gets_its_sigterm_rather_than_the_timeout_kill() -> None:
    sup = Supervisor([])
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", "import time; time.sleep(60)")
    sup.procs["paused"] = proc
    sup.pause()
    await sup.stop(timeout=5.0)
    assert proc.returncode == -signal.SIGTERM  # -SIGKILL had it waited out the timeout


async def test_ready_means_this_childs_own_answer_not_a_stray_process_on_its_port() -> None:
    from aiohttp import web

    from services.cli.registry import SERVICES

    answering = {"pid": 1}  # a stray process: ready, but not the child

    async def readyz(_req: web.Request) -> web.Response:
        return web.json_response({"ready": True, **answering})

    app = web.Application()
    app.router.add_get("/readyz", readyz)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    sup = Supervisor(["intent"], port_offset=port - SERVICES["intent"].settings().metrics_port)
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import time; time.sleep(60)"
    )
    sup.procs["intent"] = child
    try:
        with pytest.raises(TimeoutError):
            await sup.wait_ready(timeout=1.0)
        answering["pid"] = child.pid
        await sup.wait_ready(timeout=5.0)
    finally:
        await sup.stop(timeout=5.0)
        await runner.cleanup()
