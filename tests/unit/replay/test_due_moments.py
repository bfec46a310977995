"""The replay fires each serial's newest due moment once, earliest first."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lifecycle.replay.ticks import DueMoments

pytestmark = pytest.mark.unit


def _day(day: int) -> datetime:
    return datetime(2025, 1, day, tzinfo=UTC)


def test_due_moments_fire_in_order_and_a_newer_schedule_replaces_the_older() -> None:
    moments = DueMoments()
    moments.schedule("B", _day(3))
    moments.schedule("A", _day(5))
    moments.schedule("A", _day(2))  # replaces day 5
    moments.schedule("C", None)  # nothing due
    assert list(moments.due_by(_day(4))) == [(_day(2), "A"), (_day(3), "B")]
    assert list(moments.due_by(_day(31))) == []  # A's day 5 was superseded, and each fires once
