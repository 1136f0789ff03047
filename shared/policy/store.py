"""Which policy applies to a tenant, reloaded from disk when a file changes."""

from __future__ import annotations

import difflib
import os
import pwd
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from shared.logging import get_logger
from shared.policy.loader import LoadedPolicy, PolicyError, load_policy
from shared.schemas.envelope import utcnow

log = get_logger("baton.policy")


@dataclass(frozen=True)
class PolicyChange:
    """An audit record: which tenant's policy changed, from what to what, by whom, when."""

    tenant: str
    old_version: str | None
    new_version: str
    old_hash: str | None
    new_hash: str
    changed_by: str
    at: datetime
    diff: str


class PolicyStore:
    """Policies per tenant from a directory (``<tenant>.yaml``, else ``default.yaml``).

    ``refresh()`` re-reads files whose modification time changed; an invalid edit is
    logged and ignored, so a typo never takes the running policy away.
    """

    def __init__(
        self, directory: Path | None = None, *, fallback: LoadedPolicy | None = None
    ) -> None:
        self._dir = directory
        self._fallback = fallback or load_policy()
        self._loaded: dict[str, LoadedPolicy] = {}
        self._mtimes: dict[str, float] = {}
        self.refresh()

    def for_tenant(self, tenant_id: str) -> LoadedPolicy:
        return self._loaded.get(tenant_id) or self._loaded.get("default") or self._fallback

    def refresh(self) -> list[PolicyChange]:
        """Reload changed policy files; return an audit record per change."""
        if self._dir is None or not self._dir.is_dir():
            return []
        changes: list[PolicyChange] = []
        for path in sorted(self._dir.glob("*.yaml")):
            tenant = path.stem
            mtime = path.stat().st_mtime
            if self._mtimes.get(tenant) == mtime:
                continue
            self._mtimes[tenant] = mtime
            try:
                new = load_policy(path)
            except (PolicyError, OSError) as exc:
                log.error("policy_rejected", tenant=tenant, path=str(path), error=str(exc))
                continue
            old = self._loaded.get(tenant)
            if old is not None and old.content_hash == new.content_hash:
                continue
            self._loaded[tenant] = new
            change = PolicyChange(
                tenant=tenant,
                old_version=old.version if old else None,
                new_version=new.version,
                old_hash=old.content_hash if old else None,
                new_hash=new.content_hash,
                changed_by=_owner(path),
                at=utcnow(),
                diff="".join(
                    difflib.unified_diff(
                        (old.text if old else "").splitlines(keepends=True),
                        new.text.splitlines(keepends=True),
                        fromfile=f"{tenant}@{old.version if old else 'none'}",
                        tofile=f"{tenant}@{new.version}",
                    )
                ),
            )
            log.info(
                "policy_loaded",
                tenant=tenant,
                version=new.version,
                hash=new.content_hash,
                previous=change.old_hash,
                changed_by=change.changed_by,
            )
            changes.append(change)
        return changes


def _owner(path: Path) -> str:
    try:
        return pwd.getpwuid(path.stat().st_uid).pw_name
    except (KeyError, OSError):
        return os.environ.get("USER", "unknown")
