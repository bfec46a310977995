"""The dashboard reads the worker's rerouted counts from its real Prometheus exposition."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest

from lifecycle.dashboard.rerouted import rerouted_in


def test_rerouted_counts_come_per_topic_and_source_the_largest_first() -> None:
    registry = CollectorRegistry()
    rerouted = Counter("lifecycle_rerouted", "as in lifecycle/metrics.py", ["topic", "source"], registry=registry)
    heartbeat = Gauge("lifecycle_heartbeat_timestamp_seconds", "another family", ["component"], registry=registry)
    heartbeat.labels("worker").set(1)
    rerouted.labels("p.purchases", "store-kcat").inc(167)
    rerouted.labels("p.renewals", "partner-go").inc(3)
    rerouted.labels("p.purchases", "unknown").inc(3)

    assert rerouted_in(generate_latest(registry).decode()) == [
        {"topic": "p.purchases", "source": "store-kcat", "count": 167},
        {"topic": "p.purchases", "source": "unknown", "count": 3},
        {"topic": "p.renewals", "source": "partner-go", "count": 3},
    ]


def test_a_worker_that_rerouted_nothing_shows_no_rows() -> None:
    registry = CollectorRegistry()
    Counter("lifecycle_rerouted", "declared, never labelled", ["topic", "source"], registry=registry)
    assert rerouted_in(generate_latest(registry).decode()) == []
    assert rerouted_in("") == []
