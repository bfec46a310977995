"""The typed fast path accepts exactly what the schema path accepts; every refusal keeps the schema path's text."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import msgspec
import orjson
import pytest
from extreme_events import extreme_lines
from hypothesis import HealthCheck, given, settings

from lifecycle.samples import events as ev
from schemas import InvalidMessage, decode_event, decode_typed, validate
from schemas.events import Purchase, Registration
from schemas.typed import fast_event

AT = datetime(2025, 3, 1, 12, tzinfo=UTC)
CONTACT = {"email": "ada@customers.example.com", "name": "Ada"}
PURCHASE = ev.purchase("p-1", AT, "S-1", "acct", "true-image", "2025", contact=CONTACT)


def _verdict(decode: Any, raw: bytes | str) -> Any:
    try:
        return decode(raw)
    except InvalidMessage as exc:
        return f"refused: {exc}"


def _schema_path(raw: bytes | str) -> Any:
    """What decode_event answered before the typed path: orjson, then the JSON Schema and the checks."""
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return decode_event(raw)  # refused before either path
    return validate(document["type"], document) if isinstance(document, dict) and "type" in document else None


def _same_answers(raw: bytes | str) -> None:
    answer = _verdict(decode_event, raw)
    typed = _verdict(decode_typed, raw)
    if isinstance(answer, str):
        assert typed == answer
    else:
        assert _verdict(_schema_path, raw) == answer
        assert {**answer, **msgspec.to_builtins(typed)} == answer  # the typed event holds the document's values


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(extreme_lines())
def test_extreme_events_get_the_same_answer_on_both_paths(line: tuple[str, frozenset[str]]) -> None:
    text, _ = line
    _same_answers(text)
    _same_answers(text.encode())


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("serial", "S\u0000"),
        ("serial", "S\n"),
        ("account_id", "a\u001b[31m"),
        ("order_id", "o\u007f"),
        ("source", "s\u0085"),
        ("event_id", "e\u009f"),
    ],
)
@pytest.mark.parametrize("ascii_only", [True, False])
def test_control_characters_are_refused_however_they_are_written(field: str, value: str, ascii_only: bool) -> None:
    raw = json.dumps({**PURCHASE, field: value}, ensure_ascii=ascii_only).encode()
    assert fast_event(raw) is None
    message = f"{field}: must not contain control characters (U+0000 to U+001F, U+007F to U+009F)"
    for decode in (decode_event, decode_typed):
        with pytest.raises(InvalidMessage) as refused:
            decode(raw)
        assert str(refused.value) == message


@pytest.mark.parametrize(
    "name", ["Sécurité \\n", 'a "quoted" name', "back\\slash", "\u00a0non-breaking", "😀", "\u00e9t\u00e9"]
)
def test_harmless_escapes_are_accepted_on_both_paths(name: str) -> None:
    document = {**PURCHASE, "product": {**PURCHASE["product"], "name": name}}
    for ascii_only in (True, False):
        raw = json.dumps(document, ensure_ascii=ascii_only)
        assert decode_event(raw) == document
        typed = decode_typed(raw)
        assert isinstance(typed, Purchase)
        assert typed.product.name == name


def test_most_events_take_the_fast_path_and_keep_their_extra_fields() -> None:
    raw = orjson.dumps({**PURCHASE, "campaign": {"code": "spring"}})
    event = fast_event(raw)
    assert isinstance(event, Purchase)
    assert (event.serial, event.license.type, msgspec.to_builtins(event.contact)) == ("S-1", "perpetual", CONTACT)
    assert decode_event(raw)["campaign"] == {"code": "spring"}


def test_an_integer_written_as_a_float_is_accepted_as_json_schema_says() -> None:
    renewal = {**ev.renewal("r-1", AT, "S-1", "acct", "ro-1", 12), "term_months": 12.0}
    raw = orjson.dumps(renewal)
    assert fast_event(raw) is None  # msgspec wants an integer: the schema path decides
    assert decode_event(raw) == renewal
    assert decode_typed(raw).term_months == 12  # type: ignore[union-attr]


def test_a_repeated_type_key_is_judged_as_the_document_returned() -> None:
    registration = orjson.dumps(ev.registration("g-1", AT, "S-1", "acct"))
    raw = registration[:-1] + b',"type":"renewal"}'
    assert _verdict(decode_event, raw) == _verdict(decode_typed, raw)
    assert str(_verdict(decode_event, raw)).startswith("refused: ")


@pytest.mark.parametrize("field", ["due_on", "released_on", "purchased_at", "updated_at"])
def test_a_calendar_field_of_another_kind_is_still_checked(field: str) -> None:
    raw = orjson.dumps({**ev.registration("g-1", AT, "S-1", "acct"), field: "not a date"})
    assert fast_event(raw) is None
    refusal = _verdict(decode_event, raw)
    assert refusal.startswith(f"refused: {field}: 'not a date' is not ")
    assert _verdict(decode_typed, raw) == refusal


def test_a_subscription_without_its_term_is_refused_on_both_paths() -> None:
    document = {**PURCHASE, "license": {"type": "subscription", "quantity": 1, "unit": "machine"}}
    raw = orjson.dumps(document)
    assert fast_event(raw) is None
    assert (
        _verdict(decode_typed, raw)
        == _verdict(decode_event, raw)
        == "refused: license: must contain ['term_months'] properties"
    )


def test_text_that_is_not_utf_8_is_refused_as_before() -> None:
    assert _verdict(decode_typed, '{"x": "\udc80"}') == _verdict(decode_event, '{"x": "\udc80"}')
    assert str(_verdict(decode_typed, '{"x": "\udc80"}')).startswith("refused: not JSON: ")


def test_the_typed_registration_has_its_optional_fields_unset() -> None:
    event = decode_typed(orjson.dumps(ev.registration("g-1", AT, "S-1", "acct")))
    assert isinstance(event, Registration)
    assert event.renewal_order_id is msgspec.UNSET
    assert event.contact is msgspec.UNSET
