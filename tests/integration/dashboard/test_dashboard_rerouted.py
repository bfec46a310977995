"""The dashboard shows how many messages the worker rerouted, by topic and source, from the worker's /metrics."""

from __future__ import annotations

from typing import Any

from dashboard_fixtures import Dashboard

from lifecycle import metrics
from lifecycle.settings import Settings


def test_rerouted_counts_appear_by_topic_and_source(dashboard: Dashboard, settings: Settings) -> None:
    purchases, renewals = settings.topic("purchases"), settings.topic("renewals")
    metrics.REROUTED.labels(purchases, "store-kcat").inc(167)  # served by the worker_metrics endpoint
    metrics.REROUTED.labels(renewals, "partner-go").inc(2)

    def ours(overview: dict[str, Any]) -> list[dict[str, Any]]:
        return [row for row in overview.get("rerouted", []) if row["topic"] in (purchases, renewals)]

    overview = dashboard.poll("/api/overview", lambda view: len(ours(view)) == 2)
    assert ours(overview) == [
        {"topic": purchases, "source": "store-kcat", "count": 167},
        {"topic": renewals, "source": "partner-go", "count": 2},
    ]
