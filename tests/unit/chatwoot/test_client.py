"""The Chatwoot client against the API contract: requests, retries, what is not retried."""

from __future__ import annotations

import random

import httpx
import pytest

from services.chatwoot.client import ChatwootClient, RetryPolicy
from services.chatwoot.mapping import Conversation, Desk
from tests.unit.chatwoot.fake_chatwoot import FakeChatwoot

CONV = Conversation(7, 42)
DESK = Desk("http://chatwoot.test", "tok-7", {"billing": 3})


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def fake() -> FakeChatwoot:
    cw = FakeChatwoot(tokens={"tok-7": {7}}, teams={7: {3: "Billing", 4: "Fraud"}})
    cw.add_conversation(7, 42)
    return cw


def client_for(
    transport: httpx.AsyncBaseTransport, sleeps: Sleeps, attempts: int = 4
) -> ChatwootClient:
    return ChatwootClient(
        httpx.AsyncClient(transport=transport),
        retry=RetryPolicy(attempts=attempts, base_seconds=0.1, max_seconds=1.0),
        sleep=sleeps,
        rng=random.Random(1),
    )


async def test_the_three_calls_match_the_documented_api() -> None:
    cw, sleeps = fake(), Sleeps()
    client = client_for(cw.transport(), sleeps)
    note = await client.post_private_note(DESK, CONV, "hello agent")
    team = await client.assign_team(DESK, CONV, 3)
    opened = await client.open(DESK, CONV)
    assert cw.violations == []
    assert [s.endpoint for s in cw.seen] == ["messages", "assignments", "toggle_status"]
    assert cw.seen[0].body == {
        "content": "hello agent",
        "message_type": "outgoing",
        "private": True,
    }
    assert cw.seen[1].body == {"team_id": 3}
    assert cw.seen[2].body == {"status": "open"}
    assert note.ok and note.attempts == 1 and note.reference == "1001"
    assert team.ok and team.reference == "3"
    assert opened.ok
    thread = cw.threads[(7, 42)]
    assert (thread.notes, thread.team_id, thread.status) == (["hello agent"], 3, "open")
    assert sleeps.waits == []


async def test_5xx_is_retried_with_growing_jittered_backoff_then_succeeds() -> None:
    cw, sleeps = fake(), Sleeps()
    cw.fail_next("messages", 3, status=503)
    reply = await client_for(cw.transport(), sleeps).post_private_note(DESK, CONV, "x")
    assert reply.ok and reply.attempts == 4
    assert len(cw.of("messages")) == 1
    # Each wait lies between half and all of its capped exponential ceiling.
    for retry, wait in enumerate(sleeps.waits, start=1):
        ceiling = min(1.0, 0.1 * 2 ** (retry - 1))
        assert ceiling / 2 <= wait <= ceiling
    assert len(set(sleeps.waits)) == 3


async def test_attempts_are_bounded_and_the_failure_says_it_was_transient() -> None:
    cw, sleeps = fake(), Sleeps()
    cw.fail_next("assignments", 10)
    reply = await client_for(cw.transport(), sleeps, attempts=3).assign_team(DESK, CONV, 3)
    assert not reply.ok
    assert (reply.attempts, reply.status_code, reply.retryable) == (3, 500, True)
    assert reply.error is not None and reply.error.startswith("HTTP 500")
    assert len(sleeps.waits) == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
async def test_4xx_other_than_429_is_not_retried(status: int) -> None:
    calls = 0

    def answer(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(status, json={"error": "nope"})

    sleeps = Sleeps()
    reply = await client_for(httpx.MockTransport(answer), sleeps).open(DESK, CONV)
    assert (reply.ok, reply.attempts, reply.status_code, reply.retryable) == (
        False,
        1,
        status,
        False,
    )
    assert calls == 1 and sleeps.waits == []
    assert "nope" in (reply.error or "")


async def test_429_is_retried_honouring_retry_after_up_to_the_cap() -> None:
    answers = iter(
        [
            httpx.Response(429, headers={"Retry-After": "0.7"}),
            httpx.Response(429, headers={"Retry-After": "30"}),
            httpx.Response(200, json={"meta": {}, "payload": {"current_status": "open"}}),
        ]
    )
    sleeps = Sleeps()
    client = client_for(httpx.MockTransport(lambda r: next(answers)), sleeps)
    reply = await client.open(DESK, CONV)
    assert reply.ok and reply.attempts == 3
    assert sleeps.waits == [0.7, 1.0]


@pytest.mark.parametrize(
    ("error", "result"),
    [
        (httpx.ConnectError("refused"), "ConnectError"),
        (httpx.ReadTimeout("slow"), "timed out"),
        (httpx.RemoteProtocolError("reset"), "RemoteProtocolError"),
    ],
)
async def test_timeouts_and_connection_errors_are_retried(error: Exception, result: str) -> None:
    cw, sleeps = fake(), Sleeps()
    inner = cw.transport()
    failures = 2

    async def flaky(request: httpx.Request) -> httpx.Response:
        nonlocal failures
        if failures:
            failures -= 1
            raise error
        return await inner.handle_async_request(request)

    reply = await client_for(httpx.MockTransport(flaky), sleeps).post_private_note(DESK, CONV, "x")
    assert reply.ok and reply.attempts == 3
    assert len(sleeps.waits) == 2

    always = Sleeps()

    def broken(request: httpx.Request) -> httpx.Response:
        raise error

    failed = await client_for(httpx.MockTransport(broken), always).post_private_note(
        DESK, CONV, "x"
    )
    assert (failed.ok, failed.attempts, failed.status_code, failed.retryable) == (
        False,
        4,
        None,
        True,
    )
    assert result in (failed.error or "")


async def test_unknown_team_is_a_failure_not_a_success() -> None:
    cw, sleeps = fake(), Sleeps()
    cw.threads[(7, 42)].team_id = 4
    reply = await client_for(cw.transport(), sleeps).assign_team(DESK, CONV, 99)
    assert not reply.ok and not reply.retryable
    assert "team 99 does not exist in Chatwoot account 7" in (reply.error or "")


async def test_a_note_chatwoot_made_public_is_a_failure() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"id": 5, "private": False})

    reply = await client_for(httpx.MockTransport(answer), Sleeps()).post_private_note(
        DESK, CONV, "x"
    )
    assert not reply.ok and not reply.retryable
    assert "public" in (reply.error or "")


async def test_token_goes_in_the_api_access_token_header_and_a_path_prefix_is_kept() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": 1})

    desk = Desk("https://example.test/chatwoot/", "secret-token")
    await client_for(httpx.MockTransport(answer), Sleeps()).post_private_note(desk, CONV, "x")
    assert (
        str(seen[0].url)
        == "https://example.test/chatwoot/api/v1/accounts/7/conversations/42/messages"
    )
    assert seen[0].headers["api_access_token"] == "secret-token"
    assert seen[0].headers["content-type"] == "application/json"


async def test_wrong_token_is_rejected_once() -> None:
    cw, sleeps = fake(), Sleeps()
    reply = await client_for(cw.transport(), sleeps).open(Desk("http://x", "bad"), CONV)
    assert (reply.ok, reply.status_code, reply.attempts) == (False, 401, 1)
