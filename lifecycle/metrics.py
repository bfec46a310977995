"""Shared Prometheus metrics, and a tiny `/metrics` server any process can start.

Usage in a process::

    from lifecycle import metrics
    metrics.serve("store", settings)            # /metrics on settings.metrics_port + offset, heartbeat set
    metrics.EVENTS.labels("store", "applied").inc()
    with metrics.PROCESSING_SECONDS.labels("store").time(): ...
    metrics.beat("store")                       # call from the main loop: proves the loop is alive
    metrics.report_stuck("worker", "rereading a gap at offset 41")   # /healthz answers 503; None clears
    metrics.report_ready("worker", "reading the releases catalog")   # /readyz answers 503; None clears

Each component has a fixed port: `LIFECYCLE_METRICS_PORT` + COMPONENT_PORT_OFFSETS[component]
(worker 9401, store 9402, scheduler 9403, notifier 9404, dashboard 9405 with the default 9400);
`LIFECYCLE_METRICS_PORT=0` turns the servers off. The dashboard reads each process's
`lifecycle_heartbeat_timestamp_seconds` from there to show its health.

The same port answers /healthz (live: the main loop beat within LIFECYCLE_HEALTH_LIVE_SECONDS and is
not reported stuck) and /readyz (ready: live, past its first beat, not reported unready) with JSON
(lifecycle/health.py, lifecycle/health_http.py); probes and the dashboard read those.
"""

from __future__ import annotations

import logging
import time
from typing import Protocol

from prometheus_client import Counter, Gauge, Histogram

from lifecycle import health_http
from lifecycle.errors import UserError
from lifecycle.settings_types import MAX_PORT

log = logging.getLogger(__name__)


class _MetricsSettings(Protocol):
    @property
    def web_bind(self) -> str: ...

    @property
    def metrics_port(self) -> int: ...

    @property
    def health_live_seconds(self) -> float: ...


COMPONENT_PORT_OFFSETS: dict[str, int] = {"worker": 1, "store": 2, "scheduler": 3, "notifier": 4, "dashboard": 5}

# outcome: applied | duplicate | rejected | deadletter | stale | rerouted | capped (notifier: over the daily cap)
# | deferred (notifier: parked in its ledger for a later try)
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
# code: 0 ok | 1 lagging | 2 stalled | 3 stopped (worse is higher: max() is a group's status), judged over
# LIFECYCLE_LAG_WINDOW_SECONDS after Burrow's rules (lifecycle/dashboard/lag_status.py)
PARTITION_STATUS = Gauge(
    "lifecycle_consumer_partition_status",
    "Status of a consumer group on a partition: 0 ok, 1 lagging, 2 stalled, 3 stopped.",
    ["group", "topic", "partition"],
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
        "lifecycle_consumer_partition_status",
        "lifecycle_topic_end_offset",
        "lifecycle_entitlements",
        "lifecycle_held_events",
    }
)


def metrics_port(settings: _MetricsSettings, component: str) -> int:
    """The port where `component` serves /metrics; 0 when metrics are off."""
    if settings.metrics_port == 0:
        return 0
    port = settings.metrics_port + COMPONENT_PORT_OFFSETS[component]
    if port > MAX_PORT:
        raise UserError(
            f"LIFECYCLE_METRICS_PORT {settings.metrics_port} puts the {component}'s /metrics on port {port}, "
            f"past {MAX_PORT}; set it to {MAX_PORT - max(COMPONENT_PORT_OFFSETS.values())} or lower"
        )
    return port


def beat(component: str) -> None:
    """Record that the component's main loop is alive now."""
    now = time.time()
    HEARTBEAT.labels(component).set(now)
    health_http.BOARD.beat(component, now)


def report_stuck(component: str, reason: str | None) -> None:
    """Mark the component's loop as turning without processing (its /healthz answers 503 with `reason`); None clears."""
    changed = health_http.BOARD.progress(component).stuck != reason
    health_http.BOARD.stuck(component, reason)
    if changed and reason is not None:  # once per change: callers may report the same reason on every check
        log.warning("%s not processing: %s", component, reason)
    elif changed:
        log.info("%s processing again", component)


def report_ready(component: str, reason_not: str | None) -> None:
    """Mark the component as not ready for `reason_not` (its /readyz answers 503); None clears."""
    health_http.BOARD.not_ready(component, reason_not)


def serve(component: str, settings: _MetricsSettings, live_within: float | None = None) -> int:
    """Start /metrics, /healthz and /readyz for `component` in a daemon thread; return its port (0 when off).

    `live_within` (seconds) overrides LIFECYCLE_HEALTH_LIVE_SECONDS for a loop that beats less often.
    """
    port = metrics_port(settings, component)
    HEARTBEAT.labels(component).set(time.time())
    health_http.BOARD.started(component, live_within or settings.health_live_seconds)
    if port == 0:
        return 0
    try:
        health_http.start(component, port, settings.web_bind)
    except OSError as exc:
        where = f"{settings.web_bind}:{port}"
        raise UserError(f"cannot serve metrics on {where} ({exc}); set LIFECYCLE_METRICS_PORT") from exc
    log.info("%s metrics and health on http://%s:%d/metrics, /healthz, /readyz", component, settings.web_bind, port)
    return port
