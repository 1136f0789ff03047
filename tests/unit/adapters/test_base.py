"""The helpers every adapter shares: body decoding, headers, HTML, time, the registry."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.gateway.adapters import ADAPTERS, decode_body
from services.gateway.adapters._fields import parse_time, require_object
from services.gateway.adapters._html import html_to_text
from services.gateway.adapters.base import header, token_matches
from services.gateway.handlers import BadInput


def test_registry_names_every_platform() -> None:
    assert sorted(ADAPTERS) == ["chatwoot", "connect", "intercom", "sunshine", "twilio"]
    assert all(name == adapter.name for name, adapter in ADAPTERS.items())


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b"", "application/json", 400, "empty_body"),
        (b"  \n", None, 400, "empty_body"),
        (b"{", "application/json", 400, "invalid_json"),
        (b"\xff\xfe=", "application/x-www-form-urlencoded", 400, "invalid_form"),
    ],
)
def test_decode_body_says_what_is_wrong(
    body: bytes, content_type: str | None, status: int, code: str
) -> None:
    with pytest.raises(BadInput) as info:
        decode_body(body, content_type)
    assert (info.value.status, info.value.code) == (status, code)
    assert info.value.message


def test_decode_body_reads_json_and_forms() -> None:
    assert decode_body(b'{"a": 1}', "application/json; charset=utf-8") == {"a": 1}
    assert decode_body(b"[1]") == [1]
    form = decode_body(b"Body=Hi+there&Index=3&Empty=", "application/x-www-form-urlencoded")
    assert form == {"Body": "Hi there", "Index": "3", "Empty": ""}


@pytest.mark.parametrize(
    ("payload", "said"),
    [([{"a": 1}], "a JSON array"), ("text", "a string"), (None, "null"), (3, "a number")],
)
def test_non_objects_are_refused_naming_what_arrived(payload: object, said: str) -> None:
    with pytest.raises(BadInput) as info:
        require_object(payload, "Amazon Connect")
    assert info.value.status == 422
    assert info.value.message == f"expected a JSON object from Amazon Connect, got {said}"


def test_header_lookup_ignores_case() -> None:
    assert header({"x-api-key": "k"}, "X-API-Key") == "k"
    assert header({"X-API-Key": "k"}, "X-API-Key") == "k"
    assert header({}, "X-API-Key") is None


def test_shared_token_from_header_or_query() -> None:
    url = "https://baton.example/v1/ingest/connect"
    assert token_matches({"X-Baton-Token": "s3cret"}, "s3cret", url=url)
    assert token_matches({}, "s3cret", url=url + "?baton_token=s3cret")
    assert not token_matches({"X-Baton-Token": "wrong"}, "s3cret", url=url)
    assert not token_matches({}, "s3cret", url=url)
    assert not token_matches({"X-Baton-Token": ""}, "", url=url + "?baton_token=")


def test_html_bodies_become_plain_text() -> None:
    html = (
        "<p>Hi&nbsp;there,</p><p>my order <b>#1234</b> never&nbsp;arrived &amp; I&#39;m upset"
        "<br>Can you help?</p><script>alert(1)</script><img src='x.png'>"
    )
    assert html_to_text(html) == (
        "Hi there,\nmy order #1234 never arrived & I'm upset\nCan you help?"
    )
    assert html_to_text("<p></p><p> </p>") == ""
    assert html_to_text("plain") == "plain"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2020-09-30T18:00:56.820Z", datetime(2020, 9, 30, 18, 0, 56, 820000, UTC)),
        ("2020-03-03 13:05:57 UTC", datetime(2020, 3, 3, 13, 5, 57, tzinfo=UTC)),
        (1747336268, datetime(2025, 5, 15, 19, 11, 8, tzinfo=UTC)),
        (1747336268000, datetime(2025, 5, 15, 19, 11, 8, tzinfo=UTC)),
        ("2021-08-04T17:17:53", datetime(2021, 8, 4, 17, 17, 53, tzinfo=UTC)),
        ("not a time", None),
        (None, None),
        (True, None),
    ],
)
def test_timestamps_as_iso_strings_or_unix_numbers(value: object, expected: object) -> None:
    assert parse_time(value) == expected
