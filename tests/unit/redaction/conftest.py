"""Share one redactor across the redaction tests; it is immutable and costly only to build."""

from __future__ import annotations

import pytest

from shared.redaction import Redactor


@pytest.fixture(scope="session")
def redactor() -> Redactor:
    """Provide a redactor for every kind, reading national numbers as US ones."""
    return Redactor()
