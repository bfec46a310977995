"""A real browser looks up a serial, opens one of its dead letters and redrives it: refused without the operator
token, sent back with it. Screenshots go to test-artifacts/."""

from __future__ import annotations

import sys
from pathlib import Path

import orjson
import pytest
from dashboard_fixtures import Dashboard
from playwright.sync_api import Browser, Page, expect
from test_dashboard_browser import ARTIFACTS, browser, sign_in

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration" / "dashboard_console"))

from console_fixtures import EMAIL, NAME, OPERATOR, insert_serial, letter, produce_at, read_with_headers

from lifecycle.redrive_audit import HEADER
from lifecycle.settings import Settings

__all__ = ["browser"]


@pytest.fixture
def lifecycle_env(lifecycle_env: dict[str, str]) -> dict[str, str]:
    """The dashboard of this test allows redrive with the operator token."""
    return {**lifecycle_env, "LIFECYCLE_DASHBOARD_OPERATOR_TOKEN": OPERATOR}


def test_look_up_a_serial_open_its_dead_letter_and_redrive_it(
    browser: Browser, dashboard: Dashboard, settings: Settings, pg_dsn: str
) -> None:
    insert_serial(pg_dsn, "SN-42")
    noise = [
        letter(settings, f"no purchase for serial SN-{i} after 30 days", "upgrades", i, f"SN-{i}") for i in range(60)
    ]
    produce_at(settings, "deadletter", noise)
    ((partition, offset),) = produce_at(
        settings, "deadletter", [letter(settings, "renewal before its purchase", "renewals", 5, "SN-42")]
    )
    # The dashboard reads the topic in the background: the page shows the letters read when the serial is looked up.
    dashboard.poll("/api/deadletters?per_page=1", lambda queue: queue["total"] == 61)
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    sign_in(page, dashboard)

    page.fill("form.lookup input[name=q]", "acct-42")
    page.click("form.lookup button")
    expect(page.locator("#covered")).to_have_text("covered", timeout=30_000)
    expect(page.locator('#coverage dd[data-fact="program"]')).to_have_text("Advantage Premier")
    expect(page.locator('#coverage dd[data-fact="period"]')).to_have_text(
        "from 2026-01-15 through 2028-01-14 (ends on 2028-01-15)"
    )
    expect(page.locator("#timeline > li")).to_have_count(2)
    expect(page.locator("#notices")).to_contain_text("r***@customers.example.com")
    expect(page.locator("#held")).to_contain_text("case_opened")
    expect(page.locator("#letters")).to_contain_text("renewal before its purchase", timeout=30_000)
    assert EMAIL not in page.content()
    assert NAME not in page.content()
    page.screenshot(path=str(ARTIFACTS / "console-serial.png"), full_page=True)

    page.click("#letters a")
    expect(page.locator("#dl-detail")).to_be_visible(timeout=30_000)
    expect(page.locator("#dl-detail-id")).to_have_text(f"{partition}-{offset}")
    expect(page.locator("#dl-payload")).to_contain_text('"email": "r***@customers.example.com"')
    expect(page.locator("#deadletters tr")).to_have_count(20)  # one page of 61 letters
    expect(page.locator("#dl-page")).to_have_text("page 1 of 4")
    height = page.evaluate("() => document.documentElement.scrollHeight")
    print(f"dashboard page height with 61 dead letters: {height} px")
    assert height < 4000

    page.click("#dl-redrive-one")
    expect(page.locator("#dl-result")).to_contain_text("redrive needs the operator token")
    page.screenshot(path=str(ARTIFACTS / "console-redrive-refused.png"), full_page=True)
    assert read_with_headers(settings, "renewals") == []

    page.fill("#operator-token", OPERATOR)
    page.click("#dl-redrive-one")
    expect(page.locator("#dl-confirm-text")).to_have_text("Send 1 letter(s) back to the topics they came from?")
    page.screenshot(path=str(ARTIFACTS / "console-redrive-confirm.png"), full_page=True)
    page.click("#dl-confirm-yes")
    expect(page.locator("#dl-result")).to_contain_text("Sent back 1", timeout=30_000)
    expect(page.locator('#dl-facts dd[data-fact="redriven"]')).to_contain_text(
        f"by dashboard operator from 127.0.0.1 to {settings.topic('renewals')}"
    )
    expect(page.locator(f'#deadletters tr[data-letter="{partition}-{offset}"] .badge')).to_have_text("redriven (1)")
    page.screenshot(path=str(ARTIFACTS / "console-redrive-done.png"), full_page=True)

    (sent,) = read_with_headers(settings, "renewals")
    assert orjson.loads(sent.value)["serial"] == "SN-42"
    assert (HEADER, f"{settings.topic('deadletter')}/{partition}/{offset}".encode()) in sent.headers
    assert (settings.home / "audit" / "redrive.jsonl").read_text().count("deadletter_redriven") == 1

    _redrive_again(page, settings, f"{partition}-{offset}")


def _redrive_again(page: Page, settings: Settings, letter: str) -> None:
    """Sent back once, the letter is left out of the next redrive unless the operator asks for it again."""
    page.click("#dl-redrive-one")
    expect(page.locator("#dl-confirm-text")).to_have_text(
        'Send 0 letter(s) back to the topics they came from? (1 redriven before left out: tick "also those'
        ' redriven before" to send them too)'
    )
    page.click("#dl-confirm-no")
    page.check("#dl-again")
    page.click("#dl-redrive-one")
    expect(page.locator("#dl-confirm-text")).to_have_text("Send 1 letter(s) back to the topics they came from?")
    page.click("#dl-confirm-yes")
    expect(page.locator("#dl-result")).to_contain_text("Sent back 1", timeout=30_000)
    expect(page.locator(f'#deadletters tr[data-letter="{letter}"] .badge')).to_have_text("redriven (2)")
    assert len(read_with_headers(settings, "renewals")) == 2
    assert (settings.home / "audit" / "redrive.jsonl").read_text().count("deadletter_redriven") == 2
