"""Validate and (de)serialize contract documents; errors name the field and the problem."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema
import orjson

SCHEMA_DIR = Path(__file__).parent / "json"
EVENT_TYPES = ("purchase", "registration", "renewal", "upgrade", "release", "tick", "case_opened")
# The processor's own upgrade_grant is a document kind, not an event type: no producer sends one.
DOCUMENT_KINDS = (*EVENT_TYPES, "upgrade_grant", "entitlement", "notice", "holds", "case_decision", "deadletter")
# The newest event schema_version this code understands; a newer event is refused until an upgrade.
SCHEMA_VERSION = 1
# Every date and instant of an inbound event falls in these years (instants in UTC). Real orders and
# releases fit with room to spare, and the rules' month arithmetic stays far from year 9999.
FIRST_YEAR = 1990
LAST_YEAR = 2100
# The schemas' pattern for identifiers and names: no C0 or C1 control characters.
TEXT_PATTERN = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"
# Fields that must be real calendar dates or instants, beyond what the patterns check.
_INSTANT_FIELDS = ("occurred_at", "purchased_at", "updated_at")
_DATE_FIELDS = ("released_on", "due_on")
_PATTERN_PROBLEMS = {TEXT_PATTERN: "must not contain control characters (U+0000 to U+001F, U+007F to U+009F)"}
# Redrive matches this text inside the dead-letter reason, so the advice below picks exactly these refusals.
VERSION_REFUSAL = "newer than this pipeline understands"


class InvalidMessage(ValueError):
    """A message that is not a valid contract document; the text says which field and why."""


def load_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of one document kind, as stored in schemas/json."""
    result: dict[str, Any] = json.loads((SCHEMA_DIR / f"{kind}.schema.json").read_text())
    return result


@cache
def _validator(kind: str) -> Callable[[Any], Any]:
    return fastjsonschema.compile(load_schema(kind), formats={"date": r".*", "date-time": r".*"})


def _field_name(path: str) -> str:
    return path.removeprefix("data.").removeprefix("data") or "(document)"


def validate(kind: str, document: Any) -> dict[str, Any]:
    """Check a decoded document against the schema of `kind`; return it or raise InvalidMessage."""
    if kind not in DOCUMENT_KINDS:
        raise InvalidMessage(f"type: unknown document type {kind!r}; expected one of {', '.join(DOCUMENT_KINDS)}")
    if kind in EVENT_TYPES:
        _check_version(document)
    try:
        _validator(kind)(document)
    except fastjsonschema.JsonSchemaValueException as exc:
        path = exc.name or "data"
        problem = exc.message.removeprefix(path + " ").removeprefix(path)
        if exc.rule == "pattern":
            problem = _pattern_problem(str(exc.rule_definition), exc.definition.get("description"), problem)
        raise InvalidMessage(f"{_field_name(path)}: {problem}") from None
    _check_calendar(document, bounded=kind in EVENT_TYPES)
    return document  # type: ignore[no-any-return]


def _pattern_problem(pattern: str, description: str | None, problem: str) -> str:
    if pattern in _PATTERN_PROBLEMS:
        return _PATTERN_PROBLEMS[pattern]
    return f"{problem} ({description.rstrip('.')})" if description else problem


def _check_version(document: Any) -> None:
    # Before the schema: a newer producer may have changed the other fields, so their errors would mislead.
    version = document.get("schema_version") if isinstance(document, dict) else None
    if isinstance(version, int | float) and not isinstance(version, bool) and version > SCHEMA_VERSION:
        raise InvalidMessage(
            f"schema_version: {version} is {VERSION_REFUSAL} ({SCHEMA_VERSION}): "
            f"upgrade the pipeline, then `lifecycle redrive --reason '{VERSION_REFUSAL}'`"
        )


def _check_calendar(document: dict[str, Any], bounded: bool) -> None:
    for name in _INSTANT_FIELDS:
        if name in document:
            instant = parse_instant(document[name], name)
            # The written date first: moving year 1 or 9999 to UTC can leave the calendar.
            if bounded and not (_in_range(instant.date()) and _in_range(instant.astimezone(UTC).date())):
                raise _out_of_range(name, document[name], " (UTC)")
    for name in _DATE_FIELDS:
        if name in document:
            day = parse_date(document[name], name)
            if bounded and not _in_range(day):
                raise _out_of_range(name, document[name], "")


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


def decode_object(raw: bytes | str) -> dict[str, Any]:
    """Parse one JSON object, not yet validated; raise InvalidMessage when it is not JSON or not an object."""
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidMessage(f"not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise InvalidMessage(f"(document): expected a JSON object, got {type(document).__name__}")
    return document


def decode_event(raw: bytes | str) -> dict[str, Any]:
    """Parse and validate one inbound event of any type."""
    document = decode_object(raw)
    _check_version(document)  # a newer version may bring new event types
    kind = document.get("type")
    if kind not in EVENT_TYPES:
        raise InvalidMessage(f"type: {kind!r} is not one of {', '.join(EVENT_TYPES)}")
    return validate(kind, document)


def encode(document: dict[str, Any]) -> bytes:
    """Serialize a contract document as compact UTF-8 JSON with sorted keys."""
    return orjson.dumps(document, option=orjson.OPT_SORT_KEYS)
