"""Validate and (de)serialize contract documents; errors name the field and the problem."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema
import msgspec
import orjson

from schemas.checks import (
    FIRST_YEAR,
    LAST_YEAR,
    SCHEMA_VERSION,
    TOO_DEEP,
    VERSION_REFUSAL,
    InvalidMessage,
    check_calendar,
    check_depth,
    check_version,
    may_be_too_deep,
    parse_date,
    parse_instant,
)
from schemas.events import AnyEvent
from schemas.fields import TEXT_PATTERN
from schemas.typed import FOREIGN_CALENDAR, fast_event

__all__ = [
    "DOCUMENT_KINDS",
    "EVENT_TYPES",
    "FIRST_YEAR",
    "LAST_YEAR",
    "SCHEMA_DIR",
    "SCHEMA_VERSION",
    "TEXT_PATTERN",
    "VERSION_REFUSAL",
    "InvalidMessage",
    "decode_event",
    "decode_object",
    "decode_typed",
    "encode",
    "load_schema",
    "parse_date",
    "parse_instant",
    "validate",
]

SCHEMA_DIR = Path(__file__).parent / "json"
EVENT_TYPES = ("purchase", "registration", "renewal", "upgrade", "release", "tick", "case_opened")
# The processor's own upgrade_grant is a document kind, not an event type: no producer sends one.
DOCUMENT_KINDS = (*EVENT_TYPES, "upgrade_grant", "entitlement", "notice", "holds", "case_decision", "deadletter")
_PATTERN_PROBLEMS = {TEXT_PATTERN: "must not contain control characters (U+0000 to U+001F, U+007F to U+009F)"}


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
        check_version(document)
    try:
        _validator(kind)(document)
    except fastjsonschema.JsonSchemaValueException as exc:
        path = exc.name or "data"
        problem = exc.message.removeprefix(path + " ").removeprefix(path)
        if exc.rule == "pattern":
            problem = _pattern_problem(str(exc.rule_definition), exc.definition.get("description"), problem)
        raise InvalidMessage(f"{_field_name(path)}: {problem}") from None
    check_calendar(document, bounded=kind in EVENT_TYPES)
    return document  # type: ignore[no-any-return]


def _pattern_problem(pattern: str, description: str | None, problem: str) -> str:
    if pattern in _PATTERN_PROBLEMS:
        return _PATTERN_PROBLEMS[pattern]
    return f"{problem} ({description.rstrip('.')})" if description else problem


def decode_object(raw: bytes | str) -> dict[str, Any]:
    """Parse one JSON object, not yet validated; raise InvalidMessage when it is not JSON, not an object or too deep."""
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidMessage(TOO_DEEP if exc.msg == "depth limit exceeded" else f"not JSON: {exc}") from None
    if may_be_too_deep(raw):  # a walk only for the rare line with that many brackets
        check_depth(document)
    if not isinstance(document, dict):
        raise InvalidMessage(f"(document): expected a JSON object, got {type(document).__name__}")
    return document


def decode_event(raw: bytes | str) -> dict[str, Any]:
    """Parse and validate one inbound event of any type."""
    document = decode_object(raw)
    event = fast_event(raw, foreign_checked=True)
    # The dict returned must be the event checked: with a repeated "type" key, orjson keeps the last one.
    if event is not None and document.get("type") == type(event).__struct_config__.tag:
        for name in FOREIGN_CALENDAR[type(event)]:
            if name in document:
                return _validated_event(document)
        return document
    return _validated_event(document)


def decode_typed(raw: bytes | str) -> AnyEvent:
    """Parse and validate one inbound event of any type, as its typed message (fields beyond the contract dropped)."""
    fast = fast_event(raw)
    if fast is not None:
        return fast
    document = _validated_event(decode_object(raw))
    try:
        # Valid by the schema, refused by msgspec: an integer written as 1.0, or an escape that is not a control.
        event: AnyEvent = msgspec.convert(document, AnyEvent, strict=False)
    except msgspec.ValidationError as exc:
        raise InvalidMessage(f"(document): {exc}") from None
    return event


def _validated_event(document: dict[str, Any]) -> dict[str, Any]:
    """The schema path, which explains every refusal: the version first, then the type, then its schema."""
    check_version(document)  # a newer version may bring new event types
    kind = document.get("type")
    if kind not in EVENT_TYPES:
        raise InvalidMessage(f"type: {kind!r} is not one of {', '.join(EVENT_TYPES)}")
    return validate(kind, document)


def encode(document: dict[str, Any]) -> bytes:
    """Serialize a contract document as compact UTF-8 JSON with sorted keys."""
    return orjson.dumps(document, option=orjson.OPT_SORT_KEYS)
