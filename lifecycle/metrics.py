"""Shared Prometheus metrics, and a tiny `/metrics` server any process can start.

Usage in a process::

    from lifecycle import metrics
    metrics.serve("store", settings)            # /metrics on settings.metrics_port + offset, heartbeat set
    metrics.EVENTS.labels("store", "applied").inc()
    with metrics.PROCESSING_SECONDS.labels("store").time(): ...
    metrics.beat("store")                       # call from the main loop: proves the loop is alive

Each component has a fixed port: `LIFECYCLE_METRICS_PORT` + COMPONENT_PORT_OFFSETS[component]
(worker 9401, store 9402, scheduler 9403, notifier 9404, dashboard 9405 with the default 9400);
`LIFECYCLE_METRICS_PORT=0` turns the servers off. The dashboard reads each process's
`lifecycle_heartbeat_timestamp_seconds` from there to show its health.
"""

from __future__ import annotations

import logging
import time
from typing import Protocol

from prometheus_client import Counter, Gauge, Histogram, start_http_server

from lifecycle.errors import UserError

log = logging.getLogger(__name__)


class _MetricsSettings(Protocol):
    @property
    def web_bind(self) -> str: ...

    @property
    def metrics_port(self) -> int: ...


COMPONENT_PORT_OFFSETS: dict[str, int] = {"worker": 1, "store": 2, "scheduler": 3, "notifier": 4, "dashboard": 5}

# outcome: applied | duplicate | rejected | deadletter | stale | rerouted | capped (notifier: over the daily cap)
EVENTS = Counter("lifecycle_events", "Messages handled, by component and outcome.", ["component", "outcome"])
DEAD_LETTERS = Counter("lifecycle_deadletters", "Messages sent to the dead-letter topic.", ["component"])
PROCESSING_SECONDS = Histogram("lifecycle_processing_seconds", "Time to handle one message or batch.", ["component"])
NOTICES_DELIVERED = Counter(
    "lifecycle_notices_delivered", "Notices delivered, by kind and transport (smtp | outbox).", ["kind", "transport"]
)
# reason: expiry_passed (a reminder whose support has ended) | too_old (more than the max age past due_on)
# | recipient_cap (its address already had LIFECYCLE_NOTICE_DAILY_CAP_PER_RECIPIENT notices that UTC day)
NOTICES_SKIPPED = Counter(
    "lifecycle_notices_skipped",
    "Notices not sent (stale, or over their recipient's daily cap), by kind and reason.",
    ["kind", "reason"],
)
TICKS_EMITTED = Counter("lifecycle_ticks_emitted", "Tick events emitted by the scheduler.", ["kind"])
# cause: skipped (messages the consumer dropped) | idle (no progress while messages waited) | gap (offsets never came)
REREADS = Counter("lifecycle_rereads", "Input partitions the processor read again, or moved past a gap.", ["cause"])
# source: the event's `source` field (only [A-Za-z0-9._-], 64 characters; "unknown" when absent, "other" past 50)
REROUTED = Counter(
    "lifecycle_rerouted",
    "Input messages found off their key's murmur2 partition and sent on to it, by topic and event source.",
    ["topic", "source"],
)
# topic: the suffix of the topic (or "changelog", the processor's stored state); cause: too_large | error
PUBLISH_FAILURES = Counter(
    "lifecycle_publish_failures",
    "Records a component could not publish (the message was dead-lettered instead), by topic and cause.",
    ["component", "topic", "cause"],
)
HEARTBEAT = Gauge(
    "lifecycle_heartbeat_timestamp_seconds", "Unix time of the component's last main-loop beat.", ["component"]
)
# Set by the dashboard from its own Kafka and PostgreSQL reads, so Grafana sees them too.
CONSUMER_LAG = Gauge(
    "lifecycle_consumer_lag",
    "Messages not yet committed by a consumer group (<prefix>.<component>) on a topic it reads.",
    ["group", "topic"],
)
TOPIC_END_OFFSET = Gauge("lifecycle_topic_end_offset", "Sum of a topic's partition end offsets.", ["topic"])
ENTITLEMENTS = Gauge("lifecycle_entitlements", "Entitlements in the store, by status.", ["status"])
HELD_EVENTS = Gauge("lifecycle_held_events", "Events in the store that wait for their serial's purchase.")

# Exposed metric family names (counters get `_total`, histograms `_bucket`/`_sum`/`_count`).
METRIC_NAMES: frozenset[str] = frozenset(
    {
        "lifecycle_events_total",
        "lifecycle_deadletters_total",
        "lifecycle_processing_seconds_bucket",
        "lifecycle_processing_seconds_sum",
        "lifecycle_processing_seconds_count",
        "lifecycle_notices_delivered_total",
        "lifecycle_notices_skipped_total",
        "lifecycle_ticks_emitted_total",
        "lifecycle_rereads_total",
        "lifecycle_rerouted_total",
        "lifecycle_publish_failures_total",
        "lifecycle_heartbeat_timestamp_seconds",
        "lifecycle_consumer_lag",
        "lifecycle_topic_end_offset",
        "lifecycle_entitlements",
        "lifecycle_held_events",
    }
)


def metrics_port(settings: _MetricsSettings, component: str) -> int:
    """The port where `component` serves /metrics; 0 when metrics are off."""
    if settings.metrics_port == 0:
        return 0
    return settings.metrics_port + COMPONENT_PORT_OFFSETS[component]


def beat(component: str) -> None:
    """Record that the component's main loop is alive now."""
    HEARTBEAT.labels(component).set(time.time())


def serve(component: str, settings: _MetricsSettings) -> int:
    """Start the /metrics server for `component` in a daemon thread; return its port (0 when off)."""
    port = metrics_port(settings, component)
    beat(component)
    if port == 0:
        return 0
    try:
        start_http_server(port, addr=settings.web_bind)
    except OSError as exc:
        where = f"{settings.web_bind}:{port}"
        raise UserError(f"cannot serve metrics on {where} ({exc}); set LIFECYCLE_METRICS_PORT") from exc
    log.info("%s metrics on http://%s:%d/metrics", component, settings.web_bind, port)
    return port
