"""Each partition's Burrow-like status over a window of (time, committed, log end) samples."""

from __future__ import annotations

import pytest

from lifecycle.dashboard.lag_status import LagRules, LagSample, LagStatus, evaluate, since_reset, worst

pytestmark = pytest.mark.unit

RULES = LagRules(window_seconds=60, stopped_seconds=300)


def window(*points: tuple[float, int | None, int]) -> list[LagSample]:
    return [LagSample(at, committed, end) for at, committed, end in points]


def status(samples: list[LagSample], moved_at: float | None = None) -> LagStatus:
    return evaluate(samples, samples[0].at if moved_at is None else moved_at, RULES).status


def test_lag_zero_anywhere_in_the_window_is_ok_whatever_else_happens() -> None:
    still_then_caught_up = window((0, 10, 10), (30, 10, 50), (60, 10, 90))
    assert status(still_then_caught_up, moved_at=-1000) is LagStatus.OK
    assert evaluate(still_then_caught_up, -1000, RULES).reason == "lag zero within the window"


def test_a_window_shorter_than_its_length_is_not_judged_yet() -> None:
    young = window((0, 5, 50), (59, 5, 90))
    assert status(young, moved_at=-1000) is LagStatus.OK
    assert "so far" in evaluate(young, -1000, RULES).reason


def test_committed_still_with_lag_is_stalled_then_stopped_past_the_threshold() -> None:
    still = window((0, 5, 50), (30, 5, 70), (60, 5, 90))
    assert status(still, moved_at=0) is LagStatus.STALLED
    assert status(still, moved_at=60 - 299.9) is LagStatus.STALLED
    assert status(still, moved_at=60 - 300) is LagStatus.STOPPED  # the threshold itself is stopped
    verdict = evaluate(still, -1000, RULES)
    assert verdict.reason == "no commit for 1060 s, 85 messages wait"


def test_committed_still_with_a_constant_lag_is_stalled_too() -> None:
    # Burrow's STALL: no producer traffic, but the waiting messages are not read either.
    assert status(window((0, 5, 50), (60, 5, 50)), moved_at=0) is LagStatus.STALLED


def test_nothing_committed_while_messages_wait_is_stopped() -> None:
    never = window((0, None, 8), (60, None, 8))
    assert status(never) is LagStatus.STOPPED
    assert evaluate(never, 0, RULES).reason == "nothing committed while 8 messages wait"


def test_nothing_committed_and_nothing_to_read_is_ok() -> None:
    assert status(window((0, None, 0), (60, None, 0))) is LagStatus.OK


def test_a_first_commit_is_movement() -> None:
    assert status(window((0, None, 50), (30, 10, 60), (60, 30, 70)), moved_at=30) is LagStatus.OK


def test_commits_that_move_while_the_lag_grows_over_the_whole_window_are_lagging() -> None:
    slow = window((0, 10, 20), (20, 15, 30), (40, 20, 40), (60, 25, 55))
    verdict = evaluate(slow, 60, RULES)
    assert verdict.status is LagStatus.LAGGING
    assert verdict.reason == "commits move, lag grew from 10 to 30"


def test_commits_that_move_and_a_lag_that_falls_once_are_ok() -> None:
    catching_up_once = window((0, 10, 20), (20, 15, 40), (40, 35, 44), (60, 40, 60))
    assert status(catching_up_once, moved_at=60) is LagStatus.OK


def test_commits_that_move_with_a_steady_lag_are_ok() -> None:
    keeping_pace = window((0, 10, 20), (30, 20, 30), (60, 30, 40))
    assert status(keeping_pace, moved_at=60) is LagStatus.OK


def test_a_committed_offset_past_the_log_end_read_earlier_counts_as_no_lag() -> None:
    sample = LagSample(0, 12, 10)
    assert sample.lag == 0
    assert status(window((0, 5, 50), (60, 12, 10))) is LagStatus.OK


def test_a_committed_offset_that_goes_back_starts_the_window_again() -> None:
    # A consumer re-reading a compacted topic from the start: not a stall, and judged anew from the reset.
    reread = window((0, 500, 600), (30, 500, 610), (40, 0, 610), (70, 0, 620))
    assert [s.at for s in since_reset(reread)] == [40, 70]
    assert status(reread, moved_at=-1000) is LagStatus.OK  # 30 s since the reset: not judged yet
    later = [*reread, LagSample(100, 0, 630)]  # then still at 0 for the 60 s since the reset
    assert evaluate(later, 40, RULES).status is LagStatus.STALLED


def test_a_log_end_that_goes_back_starts_the_window_again() -> None:
    recreated = window((0, 5, 50), (50, 5, 60), (55, 5, 3), (70, 5, 9))
    assert [s.at for s in since_reset(recreated)] == [55, 70]
    assert status(recreated, moved_at=-1000) is LagStatus.OK


def test_offsets_that_disappear_start_the_window_again_and_then_stop() -> None:
    expired = window((0, 40, 50), (30, None, 60), (90, None, 70))
    assert [s.at for s in since_reset(expired)] == [30, 90]
    assert status(expired, moved_at=30) is LagStatus.STOPPED


def test_statuses_are_ordered_by_severity_and_worst_picks_the_highest() -> None:
    assert [s.value for s in LagStatus] == [0, 1, 2, 3]
    assert [s.label for s in LagStatus] == ["ok", "lagging", "stalled", "stopped"]
    assert worst([LagStatus.OK, LagStatus.STALLED, LagStatus.LAGGING]) is LagStatus.STALLED
    assert worst([]) is LagStatus.OK
