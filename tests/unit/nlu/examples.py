"""Small, deterministic intent training sets built from templates, shared by the NLU tests."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

SUBJECTS = ("my order", "the parcel", "my package", "the delivery", "my purchase", "the box")
TEMPLATES: dict[str, tuple[str, ...]] = {
    "track": ("where is {s}", "track {s} please", "has {s} shipped", "when will {s} arrive"),
    "refund": ("refund {s}", "I want money back for {s}", "return {s}", "send back {s}"),
    "password": (
        "reset password for {s} account",
        "forgot password",
        "cannot log in to see {s}",
        "login broken, locked out",
    ),
    "greet": ("hello", "hi there", "thanks a lot", "goodbye and thanks"),
}


def template_rows(
    templates: Mapping[str, Sequence[str]] = TEMPLATES, subjects: Sequence[str] = SUBJECTS
) -> list[tuple[str, str]]:
    """Every template of every intent filled with every subject, as (text, intent) rows."""
    return [
        (template.format(s=subject), intent)
        for intent, intent_templates in templates.items()
        for template, subject in itertools.product(intent_templates, subjects)
    ]
