"""A real browser (Debian's chromium, headless) signs in, sees figures, the chart and dead letters shown as text."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from dashboard_fixtures import TOKEN, Dashboard
from playwright.sync_api import Browser, Dialog, Page, expect, sync_playwright
from test_dashboard_api import HOSTILE, insert_figures, produce
from test_dashboard_skipped import insert_ledger_rows

from lifecycle.deadletter import deadletter_record
from lifecycle.settings import Settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def browser() -> Iterator[Browser]:
    """Headless chromium driven by playwright."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium", pytrace=False)
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


def feed(settings: Settings, pg_dsn: str) -> None:
    """Traffic, a hostile dead letter and entitlement rows for the page to show."""
    produce(settings, "purchases", [(f"SN-{i}".encode(), b"{}") for i in range(25)])
    hostile = deadletter_record(
        HOSTILE, settings.topic("purchases"), 0, 7, HOSTILE.encode(), HOSTILE.encode(), "worker", datetime.now(UTC)
    )
    produce(settings, "deadletter", [(b"SN-1", hostile)])
    insert_figures(pg_dsn)
    insert_ledger_rows(pg_dsn)


def sign_in(page: Page, dashboard: Dashboard) -> None:
    """Open the sign-in link with the token in the fragment, as `lifecycle up` prints it."""
    page.goto(f"{dashboard.url}/login#token={TOKEN}")
    page.wait_for_url(f"{dashboard.url}/")


def chart_has_ink(page: Page) -> bool:
    """True when the canvas holds drawn (non-transparent) pixels."""
    drawn: Any = page.evaluate(
        """() => { const c = document.getElementById('chart');
                   const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                   let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }"""
    )
    return int(drawn) > 100


def test_page_shows_figures_chart_and_escaped_dead_letters(
    browser: Browser, dashboard: Dashboard, settings: Settings, pg_dsn: str
) -> None:
    dialogs: list[str] = []
    page = browser.new_page(viewport={"width": 1400, "height": 1800})

    def dismiss(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)

    unauthenticated = page.goto(f"{dashboard.url}/")
    assert unauthenticated is not None
    assert unauthenticated.status == 401
    expect(page.locator("form#login")).to_be_visible()

    feed(settings, pg_dsn)
    sign_in(page, dashboard)

    expect(page.locator('#cards .card[data-figure="active"] .value')).to_have_text("3", timeout=30_000)
    expect(page.locator('#cards .card[data-figure="expired"] .value')).to_have_text("1")
    expect(page.locator("#topics")).to_contain_text(settings.topic("purchases"))
    expect(page.locator("#notices")).to_contain_text("support_started")
    expect(page.locator("#notices-skipped")).to_have_text(
        "Skipped as stale, never sent: 3 (expiry_reminder expiry passed: 2, support_started too old: 1)"
    )
    expect(page.locator("#chart")).not_to_have_attribute("data-series", "0", timeout=30_000)
    page.wait_for_function("() => document.getElementById('chart').dataset.series !== undefined")

    reason = page.locator("#deadletters td", has_text=HOSTILE).first
    expect(reason).to_have_text(HOSTILE, timeout=30_000)
    expect(page.locator("#deadletters .preview").first).to_have_text(HOSTILE)
    assert page.locator("#deadletters img").count() == 0
    assert page.locator("img").count() == 0
    assert chart_has_ink(page)

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
    assert dialogs == []
