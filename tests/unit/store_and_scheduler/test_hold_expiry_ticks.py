"""What falls due for held events: one hold_expiry tick per serial and UTC day, once the hold period is over."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from lifecycle.rules.calendar import day_start
from lifecycle.rules.due import tick_event
from lifecycle.rules.holds_due import HOLD_EXPIRY, hold_cutoff, hold_expiry_ticks
from lifecycle.rules.model import hold_ends_at
from schemas import validate

pytestmark = pytest.mark.unit


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


SINCE = at("2027-01-01T09:00")


def test_nothing_is_due_before_the_hold_period_is_over() -> None:
    assert hold_expiry_ticks([("SN-1", SINCE)], at("2027-01-30T23:59:59"), 30) == []


def test_the_hold_ends_on_the_utc_day_the_period_ends_as_the_processor_counts_it() -> None:
    [tick] = hold_expiry_ticks([("SN-1", SINCE)], at("2027-01-31T00:00"), 30)
    assert hold_ends_at(SINCE, 30) == day_start(date.fromisoformat(tick["due_on"]))
    assert tick == tick_event("SN-1", HOLD_EXPIRY, date(2027, 1, 31))
    assert tick["event_id"] == "tick:SN-1:hold_expiry:2027-01-31"
    assert "lead_days" not in tick
    validate("tick", tick)


def test_one_tick_per_serial_however_many_of_its_events_are_due_sorted_by_serial() -> None:
    held = [
        ("SN-2", SINCE),
        ("SN-1", SINCE + timedelta(days=2)),
        ("SN-2", SINCE + timedelta(days=1)),
        ("SN-3", SINCE + timedelta(days=20)),  # still within its period
    ]
    ticks = hold_expiry_ticks(held, at("2027-02-05T12:00"), 30)
    assert [tick["event_id"] for tick in ticks] == [
        "tick:SN-1:hold_expiry:2027-02-05",
        "tick:SN-2:hold_expiry:2027-02-05",
    ]


def test_sweeps_of_one_utc_day_emit_identical_ticks_and_the_next_day_a_new_one() -> None:
    morning = hold_expiry_ticks([("SN-1", SINCE)], at("2027-02-05T00:00"), 30)
    evening = hold_expiry_ticks([("SN-1", SINCE)], at("2027-02-05T23:59:59"), 30)
    tomorrow = hold_expiry_ticks([("SN-1", SINCE)], at("2027-02-06T00:00"), 30)
    assert morning == evening
    assert tomorrow[0]["event_id"] == "tick:SN-1:hold_expiry:2027-02-06"
    assert tomorrow[0]["occurred_at"] == "2027-02-06T00:00:00Z"


def test_the_sweep_day_is_the_utc_day_whatever_the_zone_of_as_of() -> None:
    as_of = datetime(2027, 2, 6, 1, 30, tzinfo=timezone(timedelta(hours=3)))  # 2027-02-05T22:30Z
    [tick] = hold_expiry_ticks([("SN-1", SINCE)], as_of, 30)
    assert tick["due_on"] == "2027-02-05"


def test_the_hold_period_is_a_parameter() -> None:
    as_of = at("2027-02-05T12:00")
    assert hold_cutoff(as_of, 7) == at("2027-01-30T00:00")  # held before: the 7 days ended by 2027-02-05
    assert hold_expiry_ticks([("SN-1", SINCE)], as_of, 40) == []
    assert len(hold_expiry_ticks([("SN-1", as_of)], as_of, 0)) == 1


def test_the_database_bound_selects_exactly_the_due_holds() -> None:
    as_of = at("2027-02-05T12:00")
    for hours in range(-72, 72):
        since = hold_cutoff(as_of, 30) + timedelta(hours=hours, seconds=1)
        assert (since < hold_cutoff(as_of, 30)) == bool(hold_expiry_ticks([("SN-1", since)], as_of, 30))
