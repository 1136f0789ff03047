"""Start every service as its own process and stop them together."""

from __future__ import annotations

import asyncio
import ctypes
import functools
import os
import signal
import sys
import time
from collections.abc import Sequence

import httpx

from services.cli.registry import SERVICES

_PR_SET_PDEATHSIG = 1  # prctl(2) option: a signal for this process when its parent dies


def _die_with_parent(parent: int) -> None:
    """In the child, before exec: SIGTERM it when the supervisor dies, however it dies.

    A supervisor that is SIGKILLed (or OOM-killed) cannot stop its children; without this
    they would run on as orphans, holding their ports and consuming their topics.
    Linux only; elsewhere this does nothing.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the supervisor died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)


class Supervisor:
    """Child processes, one per service, restarted never: a crash is reported, not hidden."""

    def __init__(
        self,
        names: Sequence[str],
        *,
        env: dict[str, str] | None = None,
        port_offset: int = 0,
        gateway_port: int | None = None,
        desk_port: int | None = None,
    ) -> None:
        self.names = list(names)
        # HTTP processes: name -> (CLI command, port variable, port)
        self._http: dict[str, tuple[str, str, int]] = {}
        if gateway_port is not None:
            self._http["gateway"] = ("gateway", "BATON_GATEWAY_PORT", gateway_port)
        if desk_port is not None:
            self._http["desk"] = ("desk", "BATON_DESK_PORT", desk_port)
        self.names += list(self._http)
        self._env = {**os.environ, **(env or {})}
        self._offset = port_offset
        self.procs: dict[str, asyncio.subprocess.Process] = {}

    async def start(self) -> None:
        for name in self.names:
            await self._spawn(name)

    async def _spawn(self, name: str) -> None:
        if name in self._http:
            command, variable, port = self._http[name]
            env = {**self._env, variable: str(port)}
            argv = [command]
        else:
            env = {**self._env, "BATON_METRICS_PORT": str(self.port(name))}
            argv = ["run", name]
        self.procs[name] = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "services.cli",
            *argv,
            env=env,
            preexec_fn=functools.partial(_die_with_parent, os.getpid()),
        )

    async def kill(self, name: str) -> None:
        """SIGKILL one service, as a crash or an evicted pod would end it: no clean shutdown."""
        proc = self.procs[name]
        if proc.returncode is None:
            proc.kill()
        await proc.wait()

    def pause(self) -> None:
        """SIGSTOP every service: they keep their connections and state but do no work."""
        for proc in self.procs.values():
            if proc.returncode is None:
                proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT every paused service."""
        for proc in self.procs.values():
            if proc.returncode is None:
                proc.send_signal(signal.SIGCONT)

    async def restart(self, name: str, timeout: float = 90.0) -> None:
        """Start a stopped service again and wait until it is ready."""
        if self.procs[name].returncode is None:
            raise RuntimeError(f"service {name} is still running")
        await self._spawn(name)
        await self.wait_ready(timeout, names=[name])

    async def wait_ready(self, timeout: float = 90.0, *, names: Sequence[str] = ()) -> None:
        """Wait until each service's /readyz (every service's, unless named) answers 200."""
        deadline = time.monotonic() + timeout
        pending = set(names or self.names)
        async with httpx.AsyncClient(timeout=1.0) as client:
            while pending:
                for name in list(pending):
                    proc = self.procs[name]
                    if proc.returncode is not None:
                        raise RuntimeError(f"service {name} exited with {proc.returncode}")
                    port = self.port(name)
                    try:
                        r = await client.get(f"http://127.0.0.1:{port}/readyz")
                        # Only this child's answer counts: stray services left on the ports
                        # once answered for a whole set of children that had died on bind.
                        if r.status_code == 200 and r.json().get("pid") == proc.pid:
                            pending.discard(name)
                    except (httpx.HTTPError, ValueError):
                        pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"services not ready: {sorted(pending)}")
                if pending:
                    await asyncio.sleep(0.3)

    def port(self, name: str) -> int:
        """Health port of a service: its default, shifted so two stacks can run side by side."""
        if name in self._http:
            return self._http[name][2]
        return SERVICES[name].settings().metrics_port + self._offset

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time (user + system) each child has used so far, from /proc (Linux only)."""
        ticks = os.sysconf("SC_CLK_TCK")
        out: dict[str, float] = {}
        for name, p in self.procs.items():
            try:
                with open(f"/proc/{p.pid}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
                out[name] = (int(fields[11]) + int(fields[12])) / ticks
            except (OSError, IndexError, ValueError):
                out[name] = float("nan")
        return out

    def crashed(self) -> list[str]:
        return [n for n, p in self.procs.items() if p.returncode is not None]

    async def stop(self, timeout: float = 15.0) -> None:
        for p in self.procs.values():
            if p.returncode is None:
                p.send_signal(signal.SIGTERM)
                # A paused service (the bench's backlog phase) would hold its SIGTERM until
                # killed at the timeout, with no clean shutdown; continuing it is a no-op
                # for one that runs.
                p.send_signal(signal.SIGCONT)
        for name, p in self.procs.items():
            try:
                await asyncio.wait_for(p.wait(), timeout)
            except TimeoutError:
                print(f"{name} did not stop in {timeout}s; killing", file=sys.stderr)
                p.kill()
                await p.wait()
