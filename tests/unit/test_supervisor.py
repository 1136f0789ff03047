"""The supervisor stops its processes with SIGTERM, paused ones included."""

from __future__ import annotations

import asyncio
import signal
import sys

from services.cli.supervisor import Supervisor


async def test_a_paused_process_gets_its_sigterm_rather_than_the_timeout_kill() -> None:
    sup = Supervisor([])
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", "import time; time.sleep(60)")
    sup.procs["paused"] = proc
    sup.pause()
    await sup.stop(timeout=5.0)
    assert proc.returncode == -signal.SIGTERM  # -SIGKILL had it waited out the timeout
