"""Each partition's status on the real broker: a group that stops reading while messages keep coming goes from ok
to stalled, then stopped; a group that keeps up stays ok all along.

Two kafka-python consumers commit as the store's and the notifier's groups would, while a producer writes to
every partition of their topics; the dashboard samples every half second over a 4 s window.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from dashboard_fixtures import Dashboard
from kafka import KafkaConsumer, KafkaProducer

from consumers.kafka_loop import learn_partitions
from lifecycle.groups import NOTIFIER, STORE
from lifecycle.kafka_config import kafka_python_config
from lifecycle.settings import Settings
from lifecycle.topics import ENTITLEMENTS, NOTICES

WINDOW, STOPPED = 4.0, 10.0
KEEPS_UP_FOR = 8.0  # seconds both groups read before one stops: two windows


@pytest.fixture
def lifecycle_env(lifecycle_env: dict[str, str]) -> dict[str, str]:
    """This test's environment with a short window, so a stall shows within seconds."""
    return {**lifecycle_env, "LIFECYCLE_LAG_WINDOW_SECONDS": str(WINDOW), "LIFECYCLE_LAG_STOPPED_SECONDS": str(STOPPED)}


class Reader(threading.Thread):
    """A consumer of one group that commits after every poll until told to stop."""

    def __init__(self, settings: Settings, group: str, topic: str) -> None:
        super().__init__(daemon=True)
        self.consumer = KafkaConsumer(
            group_id=group, enable_auto_commit=False, auto_offset_reset="earliest", **kafka_python_config(settings)
        )
        self.consumer.subscribe([topic])
        learn_partitions(self.consumer)  # as the store and notifier do: the first join then assigns every partition
        self.halt = threading.Event()
        self.assigned = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            if self.consumer.poll(timeout_ms=100):
                self.consumer.commit()
            if self.consumer.assignment():
                self.assigned.set()
        self.consumer.close(autocommit=False)

    def stop(self) -> None:
        self.halt.set()
        self.join(timeout=30)


@pytest.fixture
def readers(migrated: Settings) -> Iterator[dict[str, Reader]]:
    """The store's group reading entitlements and the notifier's reading notices, both joined; stopped after."""
    prefix = migrated.topic_prefix
    started = {
        "store": Reader(migrated, STORE.name(prefix), ENTITLEMENTS.name(prefix)),
        "notifier": Reader(migrated, NOTIFIER.name(prefix), NOTICES.name(prefix)),
    }
    for reader in started.values():
        reader.start()
    try:
        for name, reader in started.items():
            assert reader.assigned.wait(60), f"the {name} group was never given its partitions"
        yield started
    finally:  # stopped even when one never joined: a reader left running outlives its topics and logs errors
        for reader in started.values():
            reader.stop()


def group_row(overview: dict[str, Any], name: str) -> dict[str, Any]:
    row: dict[str, Any] = next(row for row in overview["groups"] if row["group"] == name)
    return row


def wait_until_sampled(dashboard: Dashboard, groups: list[str], timeout: float = 60.0) -> None:
    """Wait for the dashboard's first sample that lists the groups: it samples on its own clock, from its start."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, overview = dashboard.get("/api/overview")
        assert status == 200, overview
        if overview["sampled_at"] is not None and set(groups) <= {row["group"] for row in overview["groups"]}:
            return
        time.sleep(0.2)
    raise AssertionError(f"the dashboard listed no sample of {groups} within {timeout:.0f} s")


def partitions_settled(dashboard: Dashboard, group: str, status: str) -> dict[str, Any]:
    """The overview once every partition of `group` shows `status`, or after STOPPED seconds.

    The group is the worst of its partitions: one whose last commit came a sample later gets there a sample later.
    """
    deadline = time.monotonic() + STOPPED
    while True:
        overview: dict[str, Any] = dashboard.get("/api/overview")[1]
        statuses = {p["status"] for p in group_row(overview, group)["partitions"]}
        if statuses == {status} or time.monotonic() > deadline:
            return overview
        time.sleep(0.5)


def test_a_group_that_stops_reading_stalls_then_stops_while_one_that_keeps_up_stays_ok(
    dashboard: Dashboard, migrated: Settings, readers: dict[str, Reader]
) -> None:
    prefix = migrated.topic_prefix
    store, notifier = STORE.name(prefix), NOTIFIER.name(prefix)
    topics = [ENTITLEMENTS.name(prefix), NOTICES.name(prefix)]
    wait_until_sampled(dashboard, [store, notifier])
    producer = KafkaProducer(acks=1, linger_ms=5, **kafka_python_config(migrated))
    seen: dict[str, list[tuple[float, str]]] = {store: [], notifier: []}
    stopped_at: float | None = None
    began = time.monotonic()
    try:
        while time.monotonic() - began < KEEPS_UP_FOR + 3 * STOPPED:
            for topic in topics:  # two messages on every partition, every half second
                for partition in range(ENTITLEMENTS.partitions):
                    for n in range(2):
                        producer.send(topic, key=f"SN-{n}".encode(), value=b"{}", partition=partition)
            producer.flush(timeout=20)
            status, overview = dashboard.get("/api/overview")
            assert status == 200, overview
            since = time.monotonic() - began
            for name, statuses in seen.items():
                statuses.append((since, group_row(overview, name)["status"]))
            if stopped_at is None and since >= KEEPS_UP_FOR:
                readers["notifier"].stop()  # the notifier's group stops reading; messages keep coming
                stopped_at = since
            if stopped_at is not None and group_row(overview, notifier)["status"] == "stopped":
                break
            time.sleep(0.5)
    finally:
        producer.close()

    assert stopped_at is not None
    timeline = " ".join(f"{t:.1f}:{s}" for t, s in seen[notifier])
    assert {s for t, s in seen[notifier] if t < stopped_at} == {"ok"}, timeline
    after = [s for t, s in seen[notifier] if t >= stopped_at]
    assert after[-1] == "stopped", timeline
    assert "stalled" in after, timeline
    assert after.index("stalled") < after.index("stopped"), timeline
    stalled_after = next(t for t, s in seen[notifier] if t >= stopped_at and s == "stalled") - stopped_at
    stopped_after = next(t for t, s in seen[notifier] if t >= stopped_at and s == "stopped") - stopped_at
    # Measured from the stop as this test saw it: the last commit and the last lag of zero may come a sample before.
    assert 0 < stalled_after < STOPPED, timeline
    assert STOPPED - 1.5 <= stopped_after < STOPPED + 5, timeline
    assert {s for _, s in seen[store]} == {"ok"}, " ".join(f"{t:.1f}:{s}" for t, s in seen[store])

    overview = partitions_settled(dashboard, notifier, "stopped")
    parts = group_row(overview, notifier)["partitions"]
    assert {p["status"] for p in parts} == {"stopped"}, parts  # every partition had messages waiting
    assert all(p["lag"] > 0 and p["status_reason"].startswith("no commit for ") for p in parts)
    assert group_row(overview, notifier)["status_counts"]["stopped"] == NOTICES.partitions
    print(f"\nnotifier group: stalled {stalled_after:.1f} s, stopped {stopped_after:.1f} s after it stopped reading")
    print(f"store group: {len(seen[store])} samples, all ok")
    status, script = dashboard.get("/static/lag.js")
    assert status == 200
    assert "function renderGroups" in script
