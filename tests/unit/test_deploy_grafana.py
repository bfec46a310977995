"""The Grafana dashboard only queries metrics that lifecycle/metrics.py exports."""

from __future__ import annotations

import json
import re

from deploy_files import DEPLOY
from prometheus_client import REGISTRY

from lifecycle import metrics

METRIC = re.compile(r"\blifecycle_[a-z_]+\b")


def _expressions() -> list[str]:
    dashboard = json.loads((DEPLOY / "grafana" / "lifecycle-dashboard.json").read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def test_every_grafana_metric_exists() -> None:
    used = {name for expr in _expressions() for name in METRIC.findall(expr)}
    assert used
    assert used <= metrics.METRIC_NAMES, sorted(used - metrics.METRIC_NAMES)


def test_metric_names_match_what_the_registry_exposes() -> None:
    for metric in (
        metrics.EVENTS,
        metrics.DEAD_LETTERS,
        metrics.PROCESSING_SECONDS,
        metrics.NOTICES_DELIVERED,
        metrics.NOTICES_SKIPPED,
        metrics.TICKS_EMITTED,
        metrics.REREADS,
        metrics.REROUTED,
        metrics.PUBLISH_FAILURES,
        metrics.HEARTBEAT,
        metrics.CONSUMER_LAG,
        metrics.PARTITION_STATUS,
        metrics.TOPIC_END_OFFSET,
        metrics.ENTITLEMENTS,
    ):
        labels = ["x"] * len(metric._labelnames)
        metric.labels(*labels)
    exposed = {
        sample.name
        for family in REGISTRY.collect()
        if family.name.startswith("lifecycle_")
        for sample in family.samples
        if not sample.name.endswith("_created")
    }
    assert exposed == metrics.METRIC_NAMES


def test_every_metric_is_charted() -> None:
    charted = {name for expr in _expressions() for name in METRIC.findall(expr)}
    families = {re.sub(r"_(total|bucket|sum|count)$", "", name) for name in metrics.METRIC_NAMES}
    assert {re.sub(r"_(total|bucket|sum|count)$", "", name) for name in charted} == families
