"""The contract's plausibility bounds: dates, numbers, text and schema_version, each refused with its field."""

from __future__ import annotations

import json
import shlex
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from lifecycle.cli import build_parser
from lifecycle.deadletter import deadletter_record
from lifecycle.redrive import choose
from lifecycle.redrive_letters import parse_letter
from lifecycle.samples import events as ev
from schemas import InvalidMessage, decode_event
from schemas.codec import EVENT_TYPES, FIRST_YEAR, LAST_YEAR, SCHEMA_VERSION, TEXT_PATTERN, load_schema

EXAMPLES = Path(__file__).parents[3] / "schemas" / "examples"
# The field each example past a bound must be refused for.
REFUSED_FIELD = {
    "purchase/occurred-in-year-1": "occurred_at",
    "purchase/quantity-2-to-the-64-minus-1": "license.quantity",
    "purchase/price-of-ten-million": "price.amount",
    "purchase/serial-with-control-characters": "serial",
    "purchase/serial-of-65-characters": "serial",
    "purchase/product-name-with-c1-control": "product.name",
    "registration/occurred-in-year-9999": "occurred_at",
    "registration/occurred-in-1989": "occurred_at",
    "registration/account-id-with-escape": "account_id",
    "registration/contact-email-with-nul": "contact.email",
    "renewal/schema-version-2": "schema_version",
    "renewal/term-over-120": "term_months",
    "upgrade/new-serial-with-trailing-newline": "new_serial",
    "upgrade/after-2100-in-utc": "occurred_at",
    "upgrade/event-id-of-101-characters": "event_id",
    "release/released-in-2101": "released_on",
    "tick/due-in-year-1": "due_on",
    "tick/lead-days-2-to-the-63": "lead_days",
}


def _refusal(document: dict[str, Any]) -> str:
    with pytest.raises(InvalidMessage) as refused:
        decode_event(orjson.dumps(document))
    return str(refused.value)


@pytest.mark.parametrize(("name", "field"), REFUSED_FIELD.items())
def test_each_example_past_a_bound_is_refused_for_its_field(name: str, field: str) -> None:
    kind, stem = name.split("/")
    document = json.loads((EXAMPLES / kind / "invalid" / f"{stem}.json").read_text())
    assert _refusal(document).startswith(f"{field}: ")


@pytest.mark.parametrize(
    ("occurred_at", "accepted"),
    [
        ("1990-01-01T00:00:00Z", True),
        ("2100-12-31T23:59:59.999999Z", True),
        ("2100-12-31T23:59:59+05:00", True),
        ("1990-01-01T00:30:00+01:00", False),  # 1989-12-31 in UTC
        ("2100-12-31T23:00:00-05:00", False),  # 2101-01-01 in UTC
        ("9999-12-31T23:59:59-23:59", False),  # past the calendar's end in UTC: refused, not an overflow
        ("0001-01-01T00:00:00+14:00", False),
    ],
)
def test_instants_are_bounded_in_utc(occurred_at: str, accepted: bool) -> None:
    event = ev.registration("r", datetime(2025, 1, 1, tzinfo=UTC), "S", "acct")
    event["occurred_at"] = occurred_at
    if accepted:
        assert decode_event(orjson.dumps(event)) == event
    else:
        assert _refusal(event) == (
            f"occurred_at: {occurred_at!r} is outside the years 1990 through 2100 (UTC) that events may carry; "
            "send the real date"
        )


@pytest.mark.parametrize("version", [2, 2.0, 2**64 - 1])
def test_a_newer_schema_version_is_refused_before_anything_else(version: int | float) -> None:
    # A newer producer may send types and fields this code does not know: the version is the reason.
    reason = _refusal({"type": "refund", "schema_version": version})
    assert reason.startswith(f"schema_version: {version} is newer than this pipeline understands ({SCHEMA_VERSION}): ")


def test_the_advice_for_a_newer_version_redrives_exactly_those_letters() -> None:
    reason = _refusal({**ev.renewal("n", datetime(2025, 1, 1, tzinfo=UTC), "S", "a", "ro"), "schema_version": 2})
    advice = shlex.split(reason.split("`")[1])
    assert advice[:2] == ["lifecycle", "redrive"]
    args = build_parser("redrive").parse_args(advice[1:])
    at = datetime(2026, 1, 1, tzinfo=UTC)
    causes = (reason, "renewal of unknown serial S", "schema_version: must be bigger than or equal to 1")
    letters = [
        parse_letter(b"S", deadletter_record(cause, "lc.renewals", 0, n, b"S", str(n).encode(), "processor", at))
        for n, cause in enumerate(causes)
    ]
    chosen = choose(letters, "lc", reason=args.reason, origin=args.origin, component=args.component).chosen
    assert [letter.reason for letter in chosen] == [reason]


def _properties(schema: dict[str, Any], path: str = "") -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    for name, prop in schema.get("properties", {}).items():
        found += [(f"{path}{name}", prop), *_properties(prop, f"{path}{name}.")]
    return found


@pytest.mark.parametrize("kind", EVENT_TYPES)
def test_every_event_field_is_bounded_and_says_so(kind: str) -> None:
    for path, prop in _properties(load_schema(kind)):
        if prop.get("type") == "string":
            assert "pattern" in prop, path  # the others' patterns bound their length themselves
            assert prop["pattern"] != TEXT_PATTERN or "maxLength" in prop, path
        if prop.get("type") == "integer" and path != "schema_version":  # the codec bounds schema_version
            assert "maximum" in prop, path
        if path in ("occurred_at", "released_on", "due_on"):
            assert f"years {FIRST_YEAR} through {LAST_YEAR}" in prop["description"], path
    assert sum(prop.get("pattern") == TEXT_PATTERN for _, prop in _properties(load_schema(kind))) >= 3
