"""A consumer group's status on one partition, judged over a window of lag samples, after Burrow's rules.

Burrow (linkedin/Burrow, wiki "Consumer Lag Evaluation Rules") judges each partition a group reads from the
offsets the group committed over a sliding window, not from a lag threshold: a consumer far behind but
catching up is fine, one that falls further behind or no longer moves is not. Its rules, in its order:
lag zero anywhere in the window: OK; the committed offset went back: REWIND; no commit for longer than the
window spans: STOP; committed offsets that never change: STALL; lag that never decreases: WARN; else OK.

Here a sample is (time, committed offset, log-end offset) read by the dashboard every few seconds; the lag
is the log end minus the committed offset (from offset 0 when nothing is committed, as Kafka's own tools
count it), never below zero. Kafka does not tell when a commit was made, only its offset, so "the last
commit" is the sample where the committed offset was first seen at its present value. The rules, in order:

1. **ok**: the lag was zero in some sample of the window.
2. **ok**: the window does not span `window_seconds` yet (the dashboard just started, or the partition
   appeared or was reset): too little seen to judge.
3. **stopped**: nothing committed in the whole window while messages wait (a group that never read it).
4. **stopped**: the committed offset did not move over the window, and its last move is at least
   `stopped_seconds` old (Burrow's STOP: the consumer is gone, or wedged for long).
5. **stalled**: the committed offset did not move over the window, lag above zero (Burrow's STALL).
6. **lagging**: the committed offset moves, but the lag never went down from one sample to the next and
   ends higher than it began: the group reads, more slowly than messages come (Burrow's WARN).
7. **ok**: the committed offset moves and the lag does not grow over the window.

Unlike Burrow, a committed offset that goes back (a reset with `kafka-consumer-groups`, a consumer that
re-reads a compacted topic from the start, `auto.offset.reset` after retention removed its position) or a
log end that goes back (the topic deleted and created again) is not an error of its own: it is movement,
and the window starts again at that sample, since the earlier samples describe another history. So does a
committed offset that disappears (the group's offsets deleted, or expired after it stayed empty).

The statuses are ordered by severity; a group's status is the worst of its partitions'. The numbers are the
codes of the `lifecycle_consumer_partition_status` gauge.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from itertools import pairwise


class LagStatus(IntEnum):
    """A partition's status, worst last; the value is the gauge's code."""

    OK = 0
    LAGGING = 1
    STALLED = 2
    STOPPED = 3

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class LagSample:
    """One reading of a partition: when, the group's committed offset (None: nothing committed), the log end."""

    at: float
    committed: int | None
    end: int

    @property
    def lag(self) -> int:
        """Messages not yet committed, never below zero (the log end may be read before a newer commit)."""
        return max(0, self.end - (self.committed if self.committed is not None else 0))


@dataclass(frozen=True)
class LagRules:
    """How long a window is judged over, and how old the last move must be for `stopped`."""

    window_seconds: float
    stopped_seconds: float


@dataclass(frozen=True)
class Verdict:
    """A status and the reason in words, for the page."""

    status: LagStatus
    reason: str


def since_reset(samples: Sequence[LagSample]) -> Sequence[LagSample]:
    """The samples from the last one whose committed offset or log end went back (all of them if none did)."""
    start = 0
    for i, (before, after) in enumerate(pairwise(samples), start=1):
        if after.end < before.end or _went_back(before.committed, after.committed):
            start = i
    return samples[start:]


def _went_back(before: int | None, after: int | None) -> bool:
    """A committed offset lower than before, or gone (the group's offsets deleted or expired)."""
    return before is not None and (after is None or after < before)


def evaluate(samples: Sequence[LagSample], moved_at: float, rules: LagRules) -> Verdict:
    """The status of a window of samples (oldest first, not empty); `moved_at`: the committed offset's last move."""
    window = since_reset(samples)
    now, lag = window[-1].at, window[-1].lag
    if any(sample.lag == 0 for sample in window):
        return Verdict(LagStatus.OK, "lag zero within the window")
    spans = now - window[0].at
    if spans < rules.window_seconds:
        return Verdict(LagStatus.OK, f"judged after {rules.window_seconds:g} s of samples ({spans:.0f} s so far)")
    if all(sample.committed is None for sample in window):
        return Verdict(LagStatus.STOPPED, f"nothing committed while {lag} messages wait")
    if len({sample.committed for sample in window}) == 1:
        still = now - moved_at
        if still >= rules.stopped_seconds:
            return Verdict(LagStatus.STOPPED, f"no commit for {still:.0f} s, {lag} messages wait")
        return Verdict(LagStatus.STALLED, f"committed offset still for {still:.0f} s, {lag} messages wait")
    lags = [sample.lag for sample in window]
    if all(b >= a for a, b in pairwise(lags)) and lags[-1] > lags[0]:
        return Verdict(LagStatus.LAGGING, f"commits move, lag grew from {lags[0]} to {lags[-1]}")
    return Verdict(LagStatus.OK, "commits move, lag not growing")


def worst(statuses: Iterable[LagStatus]) -> LagStatus:
    """The most severe status (OK when there is none)."""
    return max(statuses, default=LagStatus.OK)
