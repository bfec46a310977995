"""The contract: every example validates as its file says, and errors name the field."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from schemas import InvalidMessage, decode_event, validate
from schemas.codec import DOCUMENT_KINDS, EVENT_TYPES

EXAMPLES = Path(__file__).parents[3] / "schemas" / "examples"


def _examples(verdict: str) -> list[tuple[str, Path]]:
    return [(kind, path) for kind in DOCUMENT_KINDS for path in sorted((EXAMPLES / kind / verdict).glob("*.json"))]


def test_every_document_kind_has_valid_and_invalid_examples() -> None:
    for kind in DOCUMENT_KINDS:
        assert list((EXAMPLES / kind / "valid").glob("*.json")), kind
        assert list((EXAMPLES / kind / "invalid").glob("*.json")), kind


@pytest.mark.parametrize(("kind", "path"), _examples("valid"), ids=lambda v: getattr(v, "stem", v))
def test_valid_examples_validate(kind: str, path: Path) -> None:
    document = json.loads(path.read_text())
    assert validate(kind, document) == document
    if kind in EVENT_TYPES:
        assert decode_event(path.read_bytes()) == document


@pytest.mark.parametrize(("kind", "path"), _examples("invalid"), ids=lambda v: getattr(v, "stem", v))
def test_invalid_examples_are_refused_with_the_field_named(kind: str, path: Path) -> None:
    document = json.loads(path.read_text())
    with pytest.raises(InvalidMessage, match=r"^[\w.\[\]()]+: "):
        validate(kind, document)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", "(document): expected a JSON object, got list"),
        (b'{"type": "refund"}', "type: 'refund' is not one of purchase"),
        (orjson.dumps({"type": "registration", "event_id": "e"}), "must contain"),
    ],
)
def test_decode_errors_say_what_is_wrong(raw: bytes, message: str) -> None:
    with pytest.raises(InvalidMessage) as refused:
        decode_event(raw)
    assert message in str(refused.value)


def test_encode_is_compact_sorted_utf8() -> None:
    from schemas import encode

    assert encode({"b": "é", "a": 1}) == '{"a":1,"b":"é"}'.encode()
