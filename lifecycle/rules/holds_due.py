"""Which serials have an event held past the hold period: the scheduler's hold_expiry ticks (R14a)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from lifecycle.rules.calendar import day_start, utc_day
from lifecycle.rules.due import tick_event
from lifecycle.rules.model import hold_ends_at

HOLD_EXPIRY = "hold_expiry"


def hold_cutoff(as_of: datetime, hold_days: int) -> datetime:
    """Events held before this instant have run out their hold by the start of as_of's UTC day.

    A tick's clock is the start of its due day, and the processor ends a hold at `hold_ends_at`: the start of
    the UTC day `hold_days` after the day it arrived. So a tick due on as_of's day ends the holds that arrived
    before the day `hold_days - 1` days earlier (the database query selects them with this bound).
    """
    return day_start(utc_day(as_of) - timedelta(days=hold_days - 1))


def hold_expiry_ticks(held: Iterable[tuple[str, datetime]], as_of: datetime, hold_days: int) -> list[dict[str, Any]]:
    """One hold_expiry tick, due on as_of's UTC day, per serial with an event whose hold has run out; by serial."""
    due_on = utc_day(as_of)
    serials = sorted({serial for serial, since in held if hold_ends_at(since, hold_days) <= day_start(due_on)})
    return [tick_event(serial, HOLD_EXPIRY, due_on) for serial in serials]
