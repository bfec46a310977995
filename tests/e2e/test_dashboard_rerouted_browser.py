"""A real browser sees the worker's rerouted counts, by topic and source, as text."""

from __future__ import annotations

from dashboard_fixtures import Dashboard
from playwright.sync_api import Browser, expect
from test_dashboard_browser import browser, sign_in

from lifecycle import metrics
from lifecycle.settings import Settings

__all__ = ["browser"]

HOSTILE_SOURCE = "<b>bold</b>"  # the worker never lets such a label through; the page must show text anyway


def test_page_lists_rerouted_messages_by_topic_and_source(
    browser: Browser, dashboard: Dashboard, settings: Settings
) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1800})
    sign_in(page, dashboard)
    expect(page.locator("#rerouted-section h2")).to_contain_text("Rerouted messages", timeout=30_000)

    purchases = settings.topic("purchases")  # this test's own: other tests in the process count other topics
    metrics.REROUTED.labels(purchases, "store-kcat").inc(168)  # served by the worker_metrics endpoint
    metrics.REROUTED.labels(purchases, HOSTILE_SOURCE).inc(1)

    ours = page.locator("#rerouted tr", has_text=purchases)
    expect(ours).to_have_text([f"{purchases}store-kcat168", f"{purchases}{HOSTILE_SOURCE}1"], timeout=30_000)
    assert page.locator("#rerouted b").count() == 0
