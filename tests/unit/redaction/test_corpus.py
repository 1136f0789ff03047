"""Hold recall and precision on the generated chat corpus to the agreed floors."""

from __future__ import annotations

from collections import Counter

import pytest
from stdnum import iban, luhn

from shared.redaction import ALL_KINDS, Redactor
from tests.unit.redaction.corpus import Sample, negatives, positives

POSITIVES = positives()
NEGATIVES = negatives()
RECALL_FLOOR = 0.99


def caught(redactor: Redactor, sample: Sample) -> bool:
    """Tell whether the sample's secret was redacted as its kind and nothing kept was lost."""
    result = redactor.redact(sample.text)
    start = sample.text.index(sample.secret)
    end = start + len(sample.secret)
    covered = any(
        f.kind == sample.kind and f.start <= start and end <= f.end for f in result.findings
    )
    return covered and sample.secret not in result.text


def test_corpus_meets_the_agreed_size() -> None:
    counts = Counter(sample.kind for sample in POSITIVES)
    assert len(POSITIVES) >= 300
    assert len(NEGATIVES) >= 150
    assert set(counts) == ALL_KINDS
    assert min(counts.values()) >= 30


def test_generated_numbers_are_what_they_claim() -> None:
    for sample in POSITIVES:
        compact = sample.secret.replace(" ", "").replace("-", "")
        if sample.kind == "card_number":
            assert luhn.is_valid(compact), sample
        if sample.kind == "iban":
            assert iban.is_valid(compact, check_country=False), sample


@pytest.mark.parametrize("kind", sorted(ALL_KINDS))
def test_recall_per_kind_meets_the_floor(redactor: Redactor, kind: str) -> None:
    samples = [sample for sample in POSITIVES if sample.kind == kind]
    missed = [sample.text for sample in samples if not caught(redactor, sample)]
    recall = 1 - len(missed) / len(samples)
    assert recall >= RECALL_FLOOR, missed


def test_positive_messages_keep_their_operational_identifiers(redactor: Redactor) -> None:
    lost = [
        (sample.text, kept)
        for sample in POSITIVES
        for kept in sample.kept
        if kept not in redactor.redact_text(sample.text)
    ]
    assert lost == []


def test_no_lookalike_is_redacted(redactor: Redactor) -> None:
    redacted = {text: redactor.redact_text(text) for text in NEGATIVES}
    assert {text: out for text, out in redacted.items() if out != text} == {}


def test_redacting_twice_finds_nothing_new(redactor: Redactor) -> None:
    again = [redactor.redact(redactor.redact_text(s.text)) for s in POSITIVES]
    assert [r.text for r in again if r.findings] == []
