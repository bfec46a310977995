"""Which serials have an event held past the hold period: the scheduler's hold_expiry ticks (R14a)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from lifecycle.rules.calendar import utc_day
from lifecycle.rules.due import tick_event

HOLD_EXPIRY = "hold_expiry"


def hold_cutoff(as_of: datetime, hold_days: int) -> datetime:
    """Events held since this instant or earlier have waited the whole hold period at `as_of`."""
    return as_of - timedelta(days=hold_days)


def hold_expiry_ticks(held: Iterable[tuple[str, datetime]], as_of: datetime, hold_days: int) -> list[dict[str, Any]]:
    """One hold_expiry tick, due on as_of's UTC day, per serial with an event held since the cutoff; by serial."""
    cutoff = hold_cutoff(as_of, hold_days)
    due_on = utc_day(as_of)
    serials = sorted({serial for serial, held_since in held if held_since <= cutoff})
    return [tick_event(serial, HOLD_EXPIRY, due_on) for serial in serials]
