"""The checks JSON Schema cannot state: real calendar dates and instants in range, a known schema_version, and
a nesting every decoder and encoder can hold."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

# The newest event schema_version this code understands; a newer event is refused until an upgrade.
SCHEMA_VERSION = 1
# Every date and instant of an inbound event falls in these years (instants in UTC). Real orders and
# releases fit with room to spare, and the rules' month arithmetic stays far from year 9999.
FIRST_YEAR = 1990
LAST_YEAR = 2100
FIRST_INSTANT = datetime(FIRST_YEAR, 1, 1, tzinfo=UTC)
LAST_INSTANT = datetime(LAST_YEAR, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
# Fields that must be real calendar dates or instants, beyond what the patterns check.
INSTANT_FIELDS = ("occurred_at", "purchased_at", "updated_at")
DATE_FIELDS = ("released_on", "due_on")
# Redrive matches this text inside the dead-letter reason, so the advice below picks exactly these refusals.
VERSION_REFUSAL = "newer than this pipeline understands"
# orjson writes at most 254 levels of arrays and objects: a deeper document could be read but never sent on, so every
# decoding path refuses it alike (emit, replay, the processor).
MAX_DEPTH = 254
TOO_DEEP = f"not JSON: nested deeper than {MAX_DEPTH} levels"


class InvalidMessage(ValueError):
    """A message that is not a valid contract document; the text says which field and why."""


def may_be_too_deep(raw: bytes | str) -> bool:
    """Whether `raw` holds more than MAX_DEPTH `[` and `{`: only then can it nest that deep (a walk would tell)."""
    # Most lines are shorter than the brackets of that depth, opened and closed: no count at all.
    if len(raw) <= 2 * MAX_DEPTH + 1:
        return False
    if isinstance(raw, str):
        return raw.count("{") + raw.count("[") > MAX_DEPTH
    return raw.count(b"{") + raw.count(b"[") > MAX_DEPTH


def check_depth(document: Any) -> None:
    """Refuse a decoded document nested deeper than MAX_DEPTH levels (walked with a stack: any depth is safe)."""
    stack = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise InvalidMessage(TOO_DEEP)
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))


def newer_version(document: Any) -> int | float | None:
    """The document's schema_version when it is newer than this code understands, else None."""
    version = document.get("schema_version") if isinstance(document, dict) else None
    if isinstance(version, int | float) and not isinstance(version, bool) and version > SCHEMA_VERSION:
        return version
    return None


def check_version(document: Any) -> None:
    """Refuse a document whose schema_version is newer than this code understands."""
    # Before the schema: a newer producer may have changed the other fields, so their errors would mislead.
    version = newer_version(document)
    if version is not None:
        raise InvalidMessage(
            f"schema_version: {version} is {VERSION_REFUSAL} ({SCHEMA_VERSION}): "
            f"upgrade the pipeline, then `lifecycle redrive --reason '{VERSION_REFUSAL}'`"
        )


def check_calendar(document: dict[str, Any], bounded: bool) -> None:
    """Refuse dates and instants that are not real, or (bounded) outside the years events may carry."""
    for name in INSTANT_FIELDS:
        if name in document:
            check_instant(name, document[name], bounded)
    for name in DATE_FIELDS:
        if name in document:
            check_date(name, document[name], bounded)


def check_instant(name: str, value: str, bounded: bool = True) -> datetime:
    """The instant; refuse one that is not RFC 3339 with a zone, or (bounded) whose year is out of range."""
    instant = parse_instant(value, name)
    if FIRST_YEAR < instant.year < LAST_YEAR:
        return instant  # a zone moves it less than a day: in UTC it stays within the years
    # The written date first: moving year 1 or 9999 to UTC can leave the calendar.
    if bounded and not (_in_range(instant.date()) and _in_range(instant.astimezone(UTC).date())):
        raise _out_of_range(name, value, " (UTC)")
    return instant


def clamped_instant(name: str, value: str) -> datetime:
    """The instant in UTC, moved into the events' years when outside them (a clock, not an event's own time)."""
    instant = parse_instant(value, name)
    if instant.year < FIRST_YEAR:  # compared before moving to UTC: year 1 or 9999 may leave the calendar there
        return FIRST_INSTANT
    if instant.year > LAST_YEAR:
        return LAST_INSTANT
    return min(max(instant.astimezone(UTC), FIRST_INSTANT), LAST_INSTANT)


def check_date(name: str, value: str, bounded: bool = True) -> date:
    """The date; refuse one that is not a calendar date, or (bounded) whose year is out of range."""
    day = parse_date(value, name)
    if bounded and not _in_range(day):
        raise _out_of_range(name, value, "")
    return day


def _in_range(day: date) -> bool:
    return FIRST_YEAR <= day.year <= LAST_YEAR


def _out_of_range(name: str, value: str, zone: str) -> InvalidMessage:
    return InvalidMessage(
        f"{name}: {value!r} is outside the years {FIRST_YEAR} through {LAST_YEAR}{zone} that events may carry; "
        "send the real date"
    )


def parse_instant(value: str, field: str = "occurred_at") -> datetime:
    """An RFC 3339 timestamp with a zone, as an aware datetime."""
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z"))
    except (TypeError, ValueError):
        raise InvalidMessage(f"{field}: {value!r} is not an RFC 3339 timestamp") from None
    if parsed.tzinfo is None:
        raise InvalidMessage(f"{field}: {value!r} has no time zone")
    return parsed


def parse_date(value: str, field: str = "date") -> date:
    """A YYYY-MM-DD calendar date."""
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidMessage(f"{field}: {value!r} is not a calendar date (YYYY-MM-DD)") from None
