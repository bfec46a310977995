"""Calendar arithmetic in UTC: month terms with month-end clamping, days as instants."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from schemas import parse_instant


def add_months(start: date, months: int) -> date:
    """The same day `months` calendar months later, clamped to the end of that month."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


@lru_cache(maxsize=16384)
def day_start(day: date) -> datetime:
    """The instant a UTC day begins."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def utc_day(instant: datetime) -> date:
    """The UTC calendar day an instant falls on."""
    return instant.astimezone(UTC).date()


def days_before(day: date, days: int) -> date:
    return day - timedelta(days=days)


# An instant is written a few times while its serial is handled (the entitlement's stamp, the state's and its fold's
# clocks, a due moment for every serial it falls due for): each is formatted once. Equal instants are equal in UTC
# whatever their offset, so they share their text.
@lru_cache(maxsize=4096)
def iso_instant(instant: datetime) -> str:
    """An instant as RFC 3339 in UTC with a Z, as the contract writes them."""
    if instant.tzinfo is UTC:  # the rules' instants are: no conversion, and "+00:00" is the last six characters
        return instant.isoformat()[:-6] + "Z"
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


@lru_cache(maxsize=1 << 14)
def iso_day(day: date) -> str:
    """A day as ISO 8601 text, written once per day: `date.isoformat` formats through printf, ten times the cost."""
    return day.isoformat()


@lru_cache(maxsize=1 << 12)
def instant_of(text: str) -> datetime:
    """An event's RFC 3339 timestamp as an instant: parsed once while its serial's events are being folded."""
    # An event's time is read a few times per step (its order, its day, the window's horizon): parse it once.
    # A few thousand entries cover the events being folded; 65,536 held 10 MB more and were no faster.
    return parse_instant(text)


@lru_cache(maxsize=1 << 12)
def day_of(text: str) -> date:
    """The UTC calendar day of an event's RFC 3339 timestamp."""
    return one_day(instant_of(text).astimezone(UTC).date())


@lru_cache(maxsize=1 << 14)
def one_day(day: date) -> date:
    """The first equal day seen: the entitlements of many serials keep one date object for one day."""
    return day


@lru_cache(maxsize=1 << 14)
def day_number(day: date) -> int:
    """A day as its ordinal: one int object for each day, however many sent ids are stamped with it."""
    return day.toordinal()
