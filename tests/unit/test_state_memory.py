"""The state-store contract on the in-memory double."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from shared.state.base import StateStore
from shared.state.memory import MemoryStateStore
from tests.contract_state import CONTRACT


@pytest.mark.parametrize("check", CONTRACT, ids=lambda f: f.__name__)
async def test_memory_store(check: Callable[[StateStore], Awaitable[None]]) -> None:
    await check(MemoryStateStore())
