"""Check the Redactor's contract: findings, kind selection, regions and safe reprs."""

from __future__ import annotations

import pytest

from shared.redaction import ALL_KINDS, Finding, Redacted, Redactor


def test_findings_point_into_the_original_text(redactor: Redactor) -> None:
    text = "hi, mail a@b.co or call (415) 555-2671"
    result = redactor.redact(text)
    assert result == Redacted(
        "hi, mail [EMAIL] or call [PHONE]",
        (
            Finding("email", 9, 15, "a@b.co", "[EMAIL]"),
            Finding("phone", 24, 38, "(415) 555-2671", "[PHONE]"),
        ),
    )
    assert [text[f.start : f.end] for f in result.findings] == [f.text for f in result.findings]


def test_repr_never_shows_the_secret(redactor: Redactor) -> None:
    result = redactor.redact("card 4242 4242 4242 4242")
    assert "4242 4242" not in repr(result.findings)


def test_all_kinds_has_the_promised_minimum() -> None:
    assert {"card_number", "ssn", "email", "phone", "iban"} <= ALL_KINDS


def test_only_chosen_kinds_are_redacted() -> None:
    only_email = Redactor(kinds=["email"])
    text = "a@b.co 415-555-2671"
    assert only_email.redact_text(text) == "[EMAIL] 415-555-2671"


def test_a_stronger_kind_claims_overlapping_digits() -> None:
    text = "4242424242424242@mail.com"
    assert Redactor().redact(text).findings[0].kind == "email"
    assert Redactor(kinds=["card_number"]).redact_text(text) == "[CARD ****4242]@mail.com"


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="passport"):
        Redactor(kinds=["email", "passport"])


def test_unknown_region_is_refused() -> None:
    with pytest.raises(ValueError, match="XX"):
        Redactor(default_region="XX")


def test_default_region_decides_how_national_numbers_read() -> None:
    text = "ring 020 7946 0958"
    assert Redactor(default_region="GB").redact_text(text) == "ring [PHONE]"
    assert Redactor(default_region="US").redact_text(text) == text


def test_non_ascii_digits_are_read(redactor: Redactor) -> None:
    assert redactor.redact_text("call ＋１ ４１５ ５５５ ２６７１") == "call [PHONE]"
