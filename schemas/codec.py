"""Validate and (de)serialize contract documents; errors name the field and the problem."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema
import orjson

SCHEMA_DIR = Path(__file__).parent / "json"
EVENT_TYPES = ("purchase", "registration", "renewal", "upgrade", "release", "tick")
DOCUMENT_KINDS = (*EVENT_TYPES, "entitlement", "notice", "holds")
# Fields that must be real calendar dates or instants, beyond what the patterns check.
_DATE_FIELDS = ("released_on", "due_on")


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
    try:
        _validator(kind)(document)
    except fastjsonschema.JsonSchemaValueException as exc:
        path = exc.name or "data"
        field = _field_name(path)
        problem = exc.message.removeprefix(path + " ").removeprefix(path)
        raise InvalidMessage(f"{field}: {problem}") from None
    _check_calendar(document)
    return document  # type: ignore[no-any-return]


def _check_calendar(document: dict[str, Any]) -> None:
    for name in ("occurred_at", "purchased_at", "updated_at"):
        if name in document:
            parse_instant(document[name], name)
    for name in _DATE_FIELDS:
        if name in document:
            parse_date(document[name], name)


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


def decode_event(raw: bytes | str) -> dict[str, Any]:
    """Parse and validate one inbound event of any type."""
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidMessage(f"not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise InvalidMessage(f"(document): expected a JSON object, got {type(document).__name__}")
    kind = document.get("type")
    if kind not in EVENT_TYPES:
        raise InvalidMessage(f"type: {kind!r} is not one of {', '.join(EVENT_TYPES)}")
    return validate(kind, document)


def encode(document: dict[str, Any]) -> bytes:
    """Serialize a contract document as compact UTF-8 JSON with sorted keys."""
    return orjson.dumps(document, option=orjson.OPT_SORT_KEYS)
