"""The agent desktop page in headless Chromium: a packet appears, reads right, is accepted."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.async_api import async_playwright

from services.context.trajectory import trajectory
from shared.bus.codec import to_message
from shared.schemas.events import (
    Fact,
    Reason,
    Role,
    SentimentLabel,
    TranscriptLine,
    TurnSentiment,
)
from shared.schemas.topics import HANDOFF_PACKETS
from tests.integration.test_desk import Desk, desk, packet, publish_to, read_events

pytestmark = pytest.mark.e2e
__all__ = ["desk"]  # the fixture, imported for this module

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path("/tmp/baton-desk-screens")


async def test_packet_shows_up_and_is_accepted_in_the_browser(desk: Desk) -> None:
    assert Path(CHROMIUM).exists(), "chromium missing: run `make browser` (Debian package)"
    now = datetime.now(UTC)
    p = packet("acme", "general").model_copy(
        update={
            "summary": "Customer wants help with billing dispute. Already provided: order A77123.",
            "reasons": [
                Reason(
                    code="amount_threshold",
                    detail="750.00 USD in turn 1 is above 500",
                    turns=[1],
                    evidence={"amount": 750.0, "limit": 500.0},
                )
            ],
            "facts": [Fact(kind="order_number", value="A77123", seq=1, text="order #A77123")],
            "transcript": [
                TranscriptLine(
                    seq=1,
                    role=Role.CUSTOMER,
                    text="charged 750 on card [CARD ****1111] for order #A77123",
                    at=now,
                ),
                TranscriptLine(seq=2, role=Role.BOT, text="I can explain our billing.", at=now),
                TranscriptLine(seq=3, role=Role.CUSTOMER, text="get me a person", at=now),
            ],
            "sentiment": trajectory(
                [
                    TurnSentiment(seq=1, score=-0.2, label=SentimentLabel.NEGATIVE),
                    TurnSentiment(seq=3, score=-0.7, label=SentimentLabel.NEGATIVE),
                ]
            ),
        }
    )
    token = desk.token("acme", "agent-b", ["general"])
    SHOTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            page = await browser.new_page()
            await page.goto(f"{desk.url}/desk?token={token}")
            await page.wait_for_selector("text=connected", timeout=10_000)
            await publish_to(desk.bus, [to_message(HANDOFF_PACKETS, p)])
            item = page.locator(f"li[data-id='{p.packet_id}']")
            await item.wait_for(timeout=15_000)
            await item.click()
            await page.wait_for_selector("#summary")
            assert "billing dispute" in await page.inner_text("#summary")
            assert "amount_threshold" in await page.inner_text("#detail")
            assert "order_number: A77123" in await page.inner_text("#facts")
            assert "[CARD ****1111]" in await page.inner_text("#transcript")
            assert await page.locator("#sentiment-chart polyline").count() == 1
            await page.screenshot(path=str(SHOTS / "packet.png"), full_page=True)
            await page.click("#accept")
            await page.wait_for_selector("text=accepted", timeout=10_000)
            await page.screenshot(path=str(SHOTS / "accepted.png"), full_page=True)
        finally:
            await browser.close()
    events = await read_events(desk, p.packet_id, want=1)
    assert [(e["event_type"], e["agent_id"]) for e in events] == [("handoff.accepted", "agent-b")]
