"""Load labelled intent examples from YAML and fingerprint them."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path

import yaml

OOS = "oos"
GENERAL_INTENTS_PATH = Path(__file__).parent / "data" / "general_intents.yaml"


def load_examples(path: Path | str = GENERAL_INTENTS_PATH) -> list[tuple[str, str]]:
    """Read a `{intent: [example, ...]}` YAML file as (text, intent) pairs."""
    with Path(path).open(encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected a mapping of intent -> list of examples")
    examples: list[tuple[str, str]] = []
    for intent, texts in raw.items():
        if not isinstance(intent, str) or not isinstance(texts, list):
            raise ValueError(f"{path}: intent {intent!r} must map to a list of examples")
        examples.extend((str(text), intent) for text in texts)
    return examples


def digest_examples(examples: Iterable[tuple[str, str]], *extra: str) -> str:
    """Fingerprint examples (order-insensitive) so a model can tell which data built it."""
    hasher = hashlib.sha256()
    for text, label in sorted(examples):
        hasher.update(f"{label}\x1f{text}\x1e".encode())
    for item in extra:
        hasher.update(f"{item}\x1e".encode())
    return hasher.hexdigest()


def split_oos(examples: Sequence[tuple[str, str]]) -> tuple[list[str], list[str], list[str]]:
    """Separate in-scope texts and labels from rows labelled `oos`."""
    texts = [text for text, label in examples if label != OOS]
    labels = [label for _, label in examples if label != OOS]
    oos_texts = [text for text, label in examples if label == OOS]
    return texts, labels, oos_texts
