"""Session ids to Chatwoot conversations, and each tenant's desk from settings."""

from __future__ import annotations

import pytest

from services.chatwoot.mapping import Conversation, Desk, Desks, parse_session
from services.chatwoot.settings import ChatwootSettings


@pytest.mark.parametrize(
    ("session_id", "expected"),
    [
        ("chatwoot:7:42", Conversation(7, 42)),
        ("chatwoot:1:1", Conversation(1, 1)),
        ("chatwoot:123456:9876543", Conversation(123456, 9876543)),
    ],
)
def test_chatwoot_sessions_name_account_and_display_id(
    session_id: str, expected: Conversation
) -> None:
    assert parse_session(session_id) == expected


@pytest.mark.parametrize(
    "session_id",
    [
        "s-1",
        "chatwoot:7",
        "chatwoot:7:42:1",
        "chatwoot:x:42",
        "chatwoot:0:42",
        "chatwoot:7:-1",
        "chatwoot:07:42",
        "Chatwoot:7:42",
        "sunshine:7:42",
        "chatwoot:7:42 ",
        "chatwoot:1:99999999999999999999",
    ],
)
def test_other_sessions_are_not_chatwoot(session_id: str) -> None:
    assert parse_session(session_id) is None


def test_conversation_path_uses_the_display_id() -> None:
    assert Conversation(7, 42).path == "/api/v1/accounts/7/conversations/42"
    assert str(Conversation(7, 42)) == "chatwoot:7:42"


def _settings(**kw: object) -> ChatwootSettings:
    return ChatwootSettings.model_validate(kw)


def test_desks_fall_back_to_shared_settings_and_tenants_override() -> None:
    desks = Desks.from_settings(
        _settings(
            chatwoot_base_url="https://desk.example",
            chatwoot_api_token="shared",
            chatwoot_queue_teams={"billing": 3, "general": 1},
            chatwoot_tenants={
                "acme": {"queue_teams": {"billing": 9}, "account_id": 7},
                "solo": {"base_url": "https://solo.example", "api_token": "own"},
                "lost": {"base_url": "https://lost.example"},
            },
        )
    )
    other = desks.for_tenant("other")
    assert (other.base_url, other.api_token, other.team_for("billing")) == (
        "https://desk.example",
        "shared",
        3,
    )
    acme = desks.for_tenant("acme")
    assert acme.team_for("billing") == 9
    assert acme.team_for("general") == 1
    assert acme.api_token == "shared"
    assert acme.refusal(Conversation(7, 1)) is None
    assert "not this tenant's" in (acme.refusal(Conversation(8, 1)) or "")
    assert desks.for_tenant("solo").api_token == "own"
    # The shared token is never sent to another tenant's installation.
    lost = desks.for_tenant("lost")
    assert lost.api_token is None
    assert "api_access_token" in (lost.refusal(Conversation(7, 1)) or "")


def test_unmapped_queue_uses_the_default_team_or_none() -> None:
    assert Desk("u", "t", {"a": 1}, default_team_id=5).team_for("b") == 5
    assert Desk("u", "t", {"a": 1}).team_for("b") is None


def test_tokens_stay_out_of_reprs() -> None:
    s = _settings(chatwoot_api_token="s3cret", chatwoot_tenants={"a": {"api_token": "t0ken"}})
    assert "s3cret" not in repr(s)
    assert "t0ken" not in repr(s)
    assert "s3cret" not in repr(Desks.from_settings(s).for_tenant("x"))


def test_maps_are_read_from_the_environment_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BATON_CHATWOOT_QUEUE_TEAMS", '{"billing": 3}')
    monkeypatch.setenv("BATON_CHATWOOT_TENANTS", '{"acme": {"account_id": 7}}')
    monkeypatch.setenv("BATON_CHATWOOT_API_TOKEN", "tok")
    s = ChatwootSettings()
    assert s.chatwoot_queue_teams == {"billing": 3}
    assert s.chatwoot_tenants["acme"].account_id == 7
    assert s.chatwoot_api_token is not None
    assert s.chatwoot_api_token.get_secret_value() == "tok"
