"""Envelope helpers."""

from __future__ import annotations

import uuid

from shared.schemas.envelope import _NAMESPACE, derived_id


def test_derived_id_is_uuid5_and_stable() -> None:
    assert derived_id("t", "s", 3, "intent") == str(uuid.uuid5(_NAMESPACE, "t|s|3|intent"))
    assert derived_id("t", "s", 3, "intent") != derived_id("t", "s", 4, "intent")
