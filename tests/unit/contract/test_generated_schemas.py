"""Every schema is generated from the typed messages, checked in, and judges the examples as before."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import fastjsonschema
import jsonschema
import msgspec
import pytest

from schemas import generate
from schemas.checks import InvalidMessage, check_calendar, check_version
from schemas.codec import DOCUMENT_KINDS, EVENT_TYPES, decode_typed
from schemas.fields import WRITTEN_ORDER

EXAMPLES = Path(__file__).parents[3] / "schemas" / "examples"
EXAMPLE_FILES = [
    (kind, verdict, path)
    for kind in generate.GENERATED_KINDS
    for verdict in ("valid", "invalid")
    for path in sorted((EXAMPLES / kind / verdict).glob("*.json"))
]


def test_every_document_kind_is_generated() -> None:
    assert generate.GENERATED_KINDS == DOCUMENT_KINDS


def test_the_checked_in_schemas_are_what_the_typed_messages_generate() -> None:
    assert generate.stale(generate.SCHEMA_DIR) == [], "schemas/json is stale: run `make schemas`"


def test_check_mode_names_the_stale_schemas(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(generate, "SCHEMA_DIR", tmp_path)
    assert generate.main(["--check"]) == 1
    assert capsys.readouterr().err == (
        f"schemas/json out of step with {generate.SOURCES}: {', '.join(DOCUMENT_KINDS)}; run `make schemas`\n"
    )
    assert generate.main([]) == 0
    assert generate.main(["--check"]) == 0
    assert generate.main(["--bogus"]) == 2


@pytest.mark.parametrize("kind", generate.GENERATED_KINDS)
def test_each_generated_schema_is_standard_draft_7_and_allows_extra_fields(kind: str) -> None:
    schema = generate.schema(kind)
    jsonschema.Draft7Validator.check_schema(schema)
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert "$ref" not in json.dumps(schema)
    assert "\\\\Z" not in json.dumps(schema)
    assert WRITTEN_ORDER not in json.dumps(schema)
    if kind in (*EVENT_TYPES, "upgrade_grant"):
        assert schema["properties"]["type"] == {"const": kind}
    objects = [node for node in _nodes(schema) if node.get("type") == "object"]
    assert objects
    assert all(node["additionalProperties"] is True for node in objects)


def _nodes(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, list):
        return [found for item in node for found in _nodes(item)]
    if not isinstance(node, dict):
        return []
    return [node, *(found for value in node.values() for found in _nodes(value))]


def _schema_accepts(kind: str, document: Any) -> bool:
    """The generated schema, compiled by a standard validator, then the checks JSON Schema cannot state."""
    event = kind in EVENT_TYPES
    try:
        if event:
            check_version(document)
        fastjsonschema.compile(generate.schema(kind))(document)
        check_calendar(document, bounded=event)
    except (fastjsonschema.JsonSchemaValueException, InvalidMessage):
        return False
    return True


@pytest.mark.parametrize(("kind", "verdict", "path"), EXAMPLE_FILES, ids=lambda v: getattr(v, "stem", v))
def test_the_generated_schemas_and_the_typed_messages_judge_the_examples_as_before(
    kind: str, verdict: str, path: Path
) -> None:
    assert _schema_accepts(kind, json.loads(path.read_text())) is (verdict == "valid")
    if kind not in EVENT_TYPES:
        _typed_document_judges(kind, verdict, path)
    elif verdict == "valid":
        assert type(decode_typed(path.read_bytes())).__struct_config__.tag == kind
    else:
        with pytest.raises(InvalidMessage):
            decode_typed(path.read_bytes())


def _typed_document_judges(kind: str, verdict: str, path: Path) -> None:
    """An output document's typed message accepts the valid examples and refuses the invalid ones too."""
    if verdict == "valid":
        document = msgspec.json.decode(path.read_bytes(), type=generate.CLASSES[kind])
        assert msgspec.to_builtins(document).items() <= json.loads(path.read_text()).items()
    else:
        with pytest.raises(msgspec.ValidationError):
            msgspec.json.decode(path.read_bytes(), type=generate.CLASSES[kind])


def test_an_output_documents_choices_keep_their_written_order() -> None:
    status = generate.schema("entitlement")["properties"]["status"]
    assert status == {
        "enum": ["pending_registration", "active", "expired", "superseded", "no_support", "version_unsupported"]
    }
    assert generate.schema("upgrade_grant")["properties"]["product"]["properties"]["line"]["enum"] == [
        "home",
        "business",
        "oem",
    ]


def test_a_nullable_with_a_type_list_is_one_node() -> None:
    hours = generate.schema("case_decision")["properties"]["first_response_hours"]
    assert hours == {
        "description": "24 for a Severity A case under Advantage Premier; null otherwise.",
        "type": ["integer", "null"],
        "minimum": 1,
    }
    assert fastjsonschema.compile({"properties": {"h": hours}})({"h": None}) == {"h": None}
