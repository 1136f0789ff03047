"""Customer profiles through one interface: a Redis-backed store and a REST CRM adapter."""

from __future__ import annotations

import asyncio
import csv
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import httpx

from shared.logging import get_logger
from shared.schemas.events import CustomerProfile
from shared.state.base import StateStore

log = get_logger("baton.context.crm")

HTTP_CONCURRENCY = 8  # requests at once to a REST CRM, so a batch cannot flood it

_CORE = {"customer_id", "id", "name", "tier", "lifetime_value"}


class CustomerDirectory(Protocol):
    async def profile(self, tenant_id: str, customer_id: str) -> CustomerProfile | None: ...

    async def profiles(self, wanted: Sequence[tuple[str, str]]) -> list[CustomerProfile | None]:
        """Profiles of several (tenant, customer) pairs, in order: one call for a batch."""


def profile_from_row(row: Mapping[str, Any]) -> CustomerProfile:
    """Build a profile from an export row; unknown columns become attributes."""
    cid = str(row.get("customer_id") or row.get("id") or "").strip()
    if not cid:
        raise ValueError("row has no customer_id (or id) column value")
    ltv = row.get("lifetime_value")
    return CustomerProfile(
        customer_id=cid,
        name=(str(row["name"]) if row.get("name") not in (None, "") else None),
        tier=(str(row["tier"]) if row.get("tier") not in (None, "") else None),
        lifetime_value=float(ltv) if ltv not in (None, "") else None,
        attributes={
            k: v
            for k, v in row.items()
            if k not in _CORE and isinstance(v, str | int | float | bool)
        },
    )


def read_export(path: Path) -> list[CustomerProfile]:
    """Read a CRM export: a JSON list of objects, JSON lines, or CSV with a header row."""
    text = path.read_text(encoding="utf-8")
    rows: Iterable[Mapping[str, Any]]
    if path.suffix.lower() == ".csv":
        rows = list(csv.DictReader(text.splitlines()))
    elif path.suffix.lower() == ".jsonl":
        rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    else:
        data = json.loads(text)
        rows = data if isinstance(data, list) else data.get("customers", [])
    return [profile_from_row(r) for r in rows]


class StoredCustomerDirectory:
    """Profiles kept in the state store, loaded from a CRM export."""

    def __init__(self, store: StateStore) -> None:
        self._store = store

    @staticmethod
    def key(tenant_id: str, customer_id: str) -> str:
        return f"baton:crm:{tenant_id}:{customer_id}"

    async def load(self, tenant_id: str, profiles: Iterable[CustomerProfile]) -> int:
        n = 0
        for p in profiles:
            await self._store.set(self.key(tenant_id, p.customer_id), p.model_dump_json().encode())
            n += 1
        return n

    async def profile(self, tenant_id: str, customer_id: str) -> CustomerProfile | None:
        raw = await self._store.get(self.key(tenant_id, customer_id))
        return CustomerProfile.model_validate_json(raw) if raw else None

    async def profiles(self, wanted: Sequence[tuple[str, str]]) -> list[CustomerProfile | None]:
        raws = await self._store.get_many([self.key(t, c) for t, c in wanted])
        return [CustomerProfile.model_validate_json(raw) if raw else None for raw in raws]


class HttpCustomerDirectory:
    """A REST CRM: ``GET {base_url}/customers/{id}`` returning a JSON object.

    A slow or failing CRM must never hold back a handoff, so errors give no profile.
    """

    def __init__(
        self, client: httpx.AsyncClient, *, path: str = "/customers/{customer_id}"
    ) -> None:
        self._client = client
        self._path = path

    async def profile(self, tenant_id: str, customer_id: str) -> CustomerProfile | None:
        url = self._path.format(customer_id=customer_id, tenant_id=tenant_id)
        try:
            resp = await self._client.get(url, headers={"X-Tenant-Id": tenant_id})
        except httpx.HTTPError as exc:
            log.warning("crm_unreachable", customer_id=customer_id, error=repr(exc))
            return None
        if resp.status_code == 404:
            return None
        if resp.status_code >= 400:
            log.warning("crm_error", customer_id=customer_id, status=resp.status_code)
            return None
        try:
            body = resp.json()
            return profile_from_row({"customer_id": customer_id, **body})
        except (ValueError, TypeError) as exc:
            log.warning("crm_bad_body", customer_id=customer_id, error=repr(exc))
            return None

    async def profiles(self, wanted: Sequence[tuple[str, str]]) -> list[CustomerProfile | None]:
        limit = asyncio.Semaphore(HTTP_CONCURRENCY)

        async def one(tenant_id: str, customer_id: str) -> CustomerProfile | None:
            async with limit:
                return await self.profile(tenant_id, customer_id)

        return list(await asyncio.gather(*(one(t, c) for t, c in wanted)))


class LayeredDirectory:
    """Ask each directory in turn; the first profile found wins."""

    def __init__(self, *directories: CustomerDirectory) -> None:
        self._dirs = directories

    async def profile(self, tenant_id: str, customer_id: str) -> CustomerProfile | None:
        for d in self._dirs:
            found = await d.profile(tenant_id, customer_id)
            if found is not None:
                return found
        return None

    async def profiles(self, wanted: Sequence[tuple[str, str]]) -> list[CustomerProfile | None]:
        found: list[CustomerProfile | None] = [None] * len(wanted)
        for d in self._dirs:
            todo = [i for i, p in enumerate(found) if p is None]
            if not todo:
                break
            for i, p in zip(todo, await d.profiles([wanted[i] for i in todo]), strict=True):
                found[i] = p
        return found
