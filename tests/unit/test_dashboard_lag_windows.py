"""The sampler's windows: bounded in time and count, the last move remembered, statuses on the rows and the gauge."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client import REGISTRY

from lifecycle.dashboard.lag_status import LagRules, LagSample, LagStatus
from lifecycle.dashboard.lag_windows import LagWindows

pytestmark = pytest.mark.unit

RULES = LagRules(window_seconds=10, stopped_seconds=30)
KEY = ("g.store", "g.entitlements", 0)


def gauge(group: str, topic: str, partition: int) -> float | None:
    labels = {"group": group, "topic": topic, "partition": str(partition)}
    return REGISTRY.get_sample_value("lifecycle_consumer_partition_status", labels)


def rows(committed: dict[int, int | None], end: int) -> list[dict[str, Any]]:
    parts = [
        {"topic": "g.entitlements", "partition": p, "committed": c, "end": end, "lag": 0} for p, c in committed.items()
    ]
    return [{"group": "g.store", "partitions": parts}]


def test_a_window_keeps_its_length_and_the_sample_just_before() -> None:
    windows = LagWindows(RULES, interval=1.0)
    for t in range(30):
        windows.observe(KEY, LagSample(float(t), 5, 50))
    kept = [sample.at for sample in windows.tracks[KEY].samples]
    assert kept == [float(t) for t in range(19, 30)]  # 29 - 10 = 19: the window spans exactly 10 s


def test_a_window_never_holds_more_than_twice_the_samples_its_interval_needs() -> None:
    windows = LagWindows(RULES, interval=1.0)
    for n in range(200):
        windows.observe(KEY, LagSample(n / 100, 5, 50))  # a hundred times faster than announced
    assert len(windows.tracks[KEY].samples) == windows.most == 23


def test_the_last_move_is_remembered_beyond_the_window() -> None:
    windows = LagWindows(RULES, interval=1.0)
    windows.observe(KEY, LagSample(0, 4, 50))
    windows.observe(KEY, LagSample(1, 5, 50))
    verdicts = [windows.observe(KEY, LagSample(float(t), 5, 50)) for t in range(2, 40)]
    assert windows.tracks[KEY].moved_at == 1
    assert verdicts[9].status is LagStatus.STALLED  # t=11: still since t=1, lag all along, 10 s judged
    assert verdicts[28].status is LagStatus.STALLED  # t=30: still for 29 s
    assert verdicts[29].status is LagStatus.STOPPED  # t=31: still for 30 s


def test_judge_puts_statuses_on_the_rows_and_the_gauge_and_forgets_gone_partitions() -> None:
    windows = LagWindows(RULES, interval=1.0)
    for t in range(12):
        groups = rows({0: 7, 1: 3 + t, 2: -1}, end=20 + 2 * t)  # 0 still, 1 lagging, 2 never committed
        windows.judge(groups, float(t))
    parts = groups[0]["partitions"]
    assert [p["status"] for p in parts] == ["stalled", "lagging", "stopped"]
    assert parts[1]["status_reason"] == "commits move, lag grew from 18 to 28"  # t=1 (22 - 4) to t=11 (42 - 14)
    assert groups[0]["status"] == "stopped"
    assert groups[0]["status_counts"] == {"ok": 0, "lagging": 1, "stalled": 1, "stopped": 1}
    assert [gauge("g.store", "g.entitlements", p) for p in range(3)] == [2.0, 1.0, 3.0]

    windows.judge(rows({0: 7}, end=7), 12.0)  # partitions 1 and 2 gone (the topic made again with one)
    assert set(windows.tracks) == {KEY}
    assert gauge("g.store", "g.entitlements", 0) == 0.0
    assert gauge("g.store", "g.entitlements", 1) is None


def test_a_group_that_reads_nothing_is_ok() -> None:
    groups = [{"group": "g.notifier", "partitions": []}]
    LagWindows(RULES, interval=1.0).judge(groups, 0.0)
    assert groups[0]["status"] == "ok"
