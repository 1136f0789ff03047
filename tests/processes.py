"""Finding the processes a test started, by what their environment says."""

from __future__ import annotations

from pathlib import Path


def processes_with_topic_prefix(prefix: str) -> list[int]:
    """Pids of processes whose environment sets ``BATON_TOPIC_PREFIX`` to ``prefix``.

    A run's services, and the command that started them, all carry the run's own prefix.
    """
    marker = f"BATON_TOPIC_PREFIX={prefix}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found
