"""A real browser sees each group's worst partition status, and every partition's on expand, kept open on refresh."""

from __future__ import annotations

import pytest
from dashboard_fixtures import Dashboard
from playwright.sync_api import Browser, expect
from test_dashboard_api import commit, produce
from test_dashboard_browser import ARTIFACTS, browser, sign_in

from lifecycle.groups import PROCESSOR, STORE
from lifecycle.settings import Settings

__all__ = ["browser"]


@pytest.fixture
def lifecycle_env(lifecycle_env: dict[str, str]) -> dict[str, str]:
    """A 2 s window and 4 s to stopped: the page turns within the test."""
    return {**lifecycle_env, "LIFECYCLE_LAG_WINDOW_SECONDS": "2", "LIFECYCLE_LAG_STOPPED_SECONDS": "4"}


def test_groups_panel_shows_the_worst_status_and_each_partitions_on_expand(
    browser: Browser, dashboard: Dashboard, settings: Settings
) -> None:
    errors: list[str] = []
    page = browser.new_page(viewport={"width": 1400, "height": 1800})
    page.on("pageerror", lambda error: errors.append(str(error)))
    store, processor = STORE.name(settings.topic_prefix), PROCESSOR.name(settings.topic_prefix)
    produce(settings, "entitlements", [(b"SN-1", b"{}")] * 12, partition=2)
    commit(settings, store, "entitlements", 2, 5)  # 7 messages wait, and the group never commits again
    sign_in(page, dashboard)

    store_row = page.locator(f'#groups tr[data-group="{store}"]')
    expect(store_row.locator("[data-status]")).to_have_attribute("data-status", "stopped", timeout=30_000)
    expect(store_row).to_contain_text("stopped: 1 stopped of")
    expect(page.locator(f'#groups tr[data-group="{processor}"] [data-status]')).to_have_attribute("data-status", "ok")

    details = page.locator(f'#group-partitions details[data-group="{store}"]')
    details.locator("summary").click()
    waiting = details.locator("tr", has_text=settings.topic("entitlements")).first  # the worst partition first
    expect(waiting).to_contain_text("stopped")
    expect(waiting).to_contain_text("no commit for")
    refreshed = page.evaluate("() => document.body.dataset.refreshed")
    page.wait_for_function(f"() => document.body.dataset.refreshed !== '{refreshed}'")
    assert details.evaluate("node => node.open") is True  # an expanded group stays open across refreshes
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#groups-section").screenshot(path=str(ARTIFACTS / "dashboard-lag-status.png"))
    assert errors == []
