"""Start every service as its own process and stop them together."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import Sequence

import httpx

from services.cli.registry import SERVICES


class Supervisor:
    """Child processes, one per service, restarted never: a crash is reported, not hidden."""

    def __init__(self, names: Sequence[str], *, env: dict[str, str] | None = None) -> None:
        self.names = list(names)
        self._env = {**os.environ, **(env or {})}
        self.procs: dict[str, asyncio.subprocess.Process] = {}

    async def start(self) -> None:
        for name in self.names:
            self.procs[name] = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "services.cli", "run", name, env=self._env
            )

    async def wait_ready(self, timeout: float = 90.0) -> None:
        """Wait until every service's /readyz answers 200."""
        deadline = time.monotonic() + timeout
        pending = set(self.names)
        async with httpx.AsyncClient(timeout=1.0) as client:
            while pending:
                for name in list(pending):
                    proc = self.procs[name]
                    if proc.returncode is not None:
                        raise RuntimeError(f"service {name} exited with {proc.returncode}")
                    port = SERVICES[name].settings().metrics_port
                    try:
                        r = await client.get(f"http://127.0.0.1:{port}/readyz")
                        if r.status_code == 200:
                            pending.discard(name)
                    except httpx.HTTPError:
                        pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"services not ready: {sorted(pending)}")
                if pending:
                    await asyncio.sleep(0.3)

    def crashed(self) -> list[str]:
        return [n for n, p in self.procs.items() if p.returncode is not None]

    async def stop(self, timeout: float = 15.0) -> None:
        for p in self.procs.values():
            if p.returncode is None:
                p.send_signal(signal.SIGTERM)
        for name, p in self.procs.items():
            try:
                await asyncio.wait_for(p.wait(), timeout)
            except TimeoutError:
                print(f"{name} did not stop in {timeout}s; killing", file=sys.stderr)
                p.kill()
                await p.wait()
