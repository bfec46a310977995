"""Each partition's window of lag samples, kept between the dashboard's samples, bounded in time and in count."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from lifecycle import metrics
from lifecycle.dashboard.lag_status import LagRules, LagSample, LagStatus, Verdict, evaluate, worst

Key = tuple[str, str, int]  # group, topic, partition
SHORTEST_INTERVAL = 0.2  # the sampling loop never samples faster (sampler.Sampler.run)


@dataclass
class _Track:
    samples: deque[LagSample]
    committed: int | None
    moved_at: float


class LagWindows:
    """The windows of every (group, topic, partition) the groups read, and their statuses."""

    def __init__(self, rules: LagRules, interval: float) -> None:
        self.rules = rules
        # Twice the samples a window needs at this interval: a slow sample then a fast one never cut it short.
        self.most = 2 * int(rules.window_seconds / max(interval, SHORTEST_INTERVAL)) + 3
        self.tracks: dict[Key, _Track] = {}

    def observe(self, key: Key, sample: LagSample) -> Verdict:
        """Add a sample to the partition's window and judge the window."""
        track = self.tracks.get(key)
        if track is None:
            # Its last move is unknown: at least as old as this first sample, which is what `stopped` waits for.
            track = self.tracks[key] = _Track(deque(maxlen=self.most), sample.committed, sample.at)
        elif sample.committed != track.committed:
            track.committed, track.moved_at = sample.committed, sample.at
        track.samples.append(sample)
        # The samples of the last window_seconds and the one just before: a full window spans all of it.
        start = sample.at - self.rules.window_seconds
        while len(track.samples) > 1 and track.samples[1].at <= start:
            track.samples.popleft()
        return evaluate(list(track.samples), track.moved_at, self.rules)

    def judge(self, groups: list[dict[str, Any]], now: float) -> None:
        """Add each partition's status and reason to the group rows, each group's worst status, and the gauge."""
        seen: set[Key] = set()
        for group in groups:
            statuses = []
            for row in group["partitions"]:
                key = (group["group"], row["topic"], row["partition"])
                committed = row["committed"] if row["committed"] is not None and row["committed"] >= 0 else None
                verdict = self.observe(key, LagSample(now, committed, row["end"]))
                row["status"], row["status_reason"] = verdict.status.label, verdict.reason
                metrics.PARTITION_STATUS.labels(*map(str, key)).set(verdict.status.value)
                statuses.append(verdict.status)
                seen.add(key)
            group["status"] = worst(statuses).label
            group["status_counts"] = {status.label: statuses.count(status) for status in LagStatus}
        for key in set(self.tracks) - seen:  # a topic deleted, or a group no longer read: no stale gauge either
            del self.tracks[key]
            metrics.PARTITION_STATUS.remove(*map(str, key))
