"""The tick ledger's decision: each due tick once; an overdue expiry or version check again once a sweep day."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from consumers.scheduler.pages import to_send
from lifecycle.rules.due import tick_event

pytestmark = pytest.mark.unit

TODAY = date(2027, 3, 15)
REMINDER = tick_event("A", "reminder", date(2027, 3, 8), 7)
EXPIRY = tick_event("A", "expiry", date(2027, 3, 14))
VERSION_CHECK = tick_event("D", "version_check", date(2026, 5, 1))
HOLD = tick_event("H", "hold_expiry", TODAY)
ALL = [REMINDER, EXPIRY, VERSION_CHECK, HOLD]


def ids(ticks: list[dict[str, Any]]) -> list[str]:
    return [str(tick["event_id"]) for tick in ticks]


def test_ticks_never_sent_are_all_sent() -> None:
    assert to_send(ALL, {}, TODAY) == ALL


def test_a_tick_sent_today_is_not_sent_again() -> None:
    assert to_send(ALL, dict.fromkeys(ids(ALL), TODAY), TODAY) == []


def test_only_overdue_expiries_and_version_checks_go_again_on_a_later_day() -> None:
    yesterday = date(2027, 3, 14)
    assert ids(to_send(ALL, dict.fromkeys(ids(ALL), yesterday), TODAY)) == ids([EXPIRY, VERSION_CHECK])


def test_a_reminder_sent_long_ago_is_never_sent_again() -> None:
    assert to_send([REMINDER], {REMINDER["event_id"]: date(2027, 3, 8)}, TODAY) == []
