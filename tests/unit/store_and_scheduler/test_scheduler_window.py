"""The scheduler's sweep window: midnight crossings, the reminder horizon, the summary."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from consumers.scheduler.sweep import SweepReport, crosses_midnight, longest_lead
from lifecycle.rules import Policy

pytestmark = pytest.mark.unit


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("after", "until", "crossed"),
    [
        ("2027-03-08T10:00", "2027-03-08T11:00", False),
        ("2027-03-07T23:59", "2027-03-08T00:00", True),
        ("2027-03-08T00:00", "2027-03-08T00:01", False),
        ("2027-03-01T12:00", "2027-03-08T11:00", True),
        ("1970-01-01T00:00", "2027-03-08T11:00", True),
    ],
)
def test_a_window_crosses_midnight_when_a_utc_day_begins_inside_it(after: str, until: str, crossed: bool) -> None:
    assert crosses_midnight(at(after), at(until)) is crossed


def test_a_window_in_another_zone_is_judged_in_utc() -> None:
    after = datetime.fromisoformat("2027-03-08T01:30+02:00")  # 2027-03-07T23:30Z
    assert crosses_midnight(after, at("2027-03-08T00:10"))


def test_the_reminder_horizon_is_the_longest_lead() -> None:
    assert longest_lead(Policy.with_lead_days((7, 30, 1))) == 30
    assert longest_lead(Policy({})) == 0


def test_the_summary_lists_the_tick_ids_in_order() -> None:
    ticks = [{"event_id": "tick:A:expiry:2027-03-15"}, {"event_id": "tick:B:reminder:2027-03-13:7"}]
    report = SweepReport(at("2027-03-08T12:00"), at("2027-03-15T01:00"), 5, ticks, 3, 1, tick_count=2)
    assert report.summary() == {
        "after": "2027-03-08T12:00:00+00:00",
        "as_of": "2027-03-15T01:00:00+00:00",
        "candidates": 5,
        "ticks": 2,
        "sent_before": 3,
        "refused": 1,
        "event_ids": ["tick:A:expiry:2027-03-15", "tick:B:reminder:2027-03-13:7"],
    }
