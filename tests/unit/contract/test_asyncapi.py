"""schemas/asyncapi.json: in step with the topics and schemas, and a valid AsyncAPI 3.0.0 document.

Validity is checked against the official AsyncAPI 3.0.0 JSON Schema (asyncapi/NOTICE says where it comes from)
with python-jsonschema, offline, and the references the schema cannot follow are resolved here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from lifecycle import asyncapi
from lifecycle.topics import ALL_TOPICS

DOCUMENT: dict[str, Any] = json.loads(asyncapi.DOCUMENT.read_text())
TOPICS = {topic.suffix: topic for topic in ALL_TOPICS}
OFFICIAL_SCHEMA = Path(__file__).parent / "asyncapi" / "asyncapi-3.0.0.schema.json"


@pytest.fixture(scope="module")
def asyncapi_3() -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(json.loads(OFFICIAL_SCHEMA.read_text()))


def _resolve(ref: str) -> Any:
    """The object a local reference (`#/a/b`) points to in the document; KeyError when it points nowhere."""
    assert ref.startswith("#/"), ref
    target: Any = DOCUMENT
    for part in ref[2:].split("/"):
        target = target[part.replace("~1", "/").replace("~0", "~")]
    return target


def test_the_checked_in_document_is_in_step_with_topics_and_schemas() -> None:
    assert asyncapi.DOCUMENT.read_text() == asyncapi.render(), "schemas/asyncapi.json is stale: run `make asyncapi`"


def test_check_mode_names_a_stale_document(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = tmp_path / "asyncapi.json"
    stale.write_text("{}\n")
    monkeypatch.setattr(asyncapi, "DOCUMENT", stale)
    assert asyncapi.main(["--check"]) == 1
    assert capsys.readouterr().err == "asyncapi.json is out of step with the topics and schemas: run `make asyncapi`\n"
    assert asyncapi.main([]) == 0
    assert asyncapi.main(["--check"]) == 0


def test_every_topic_has_a_value_schema_and_its_parties_named() -> None:
    assert set(asyncapi.VALUE_KIND) == set(TOPICS) == set(asyncapi.PARTIES)
    assert set(asyncapi.SENT) | set(asyncapi.RECEIVED) <= set(TOPICS)


def test_every_topic_with_a_schema_is_a_channel_with_its_kafka_settings() -> None:
    documented = {topic.suffix for topic in asyncapi.documented_topics()}
    assert set(DOCUMENT["channels"]) == documented
    assert {"cases", "case-decisions", "entitlements", "notices", "deadletter"} <= documented
    for suffix, channel in DOCUMENT["channels"].items():
        kafka = channel["bindings"]["kafka"]
        assert kafka["partitions"] == TOPICS[suffix].partitions
        assert kafka["topicConfiguration"]["cleanup.policy"] == [TOPICS[suffix].cleanup_policy]
        assert f"Key: {TOPICS[suffix].key};" in channel["description"]


def test_the_official_asyncapi_3_schema_accepts_it(asyncapi_3: jsonschema.Draft7Validator) -> None:
    assert [error.message for error in asyncapi_3.iter_errors(DOCUMENT)] == []


@pytest.mark.parametrize(
    ("path", "value", "problem"),
    [
        (("operations", "sendEntitlements", "action"), "publish", "is not one of ['send', 'receive']"),
        (("channels", "entitlements", "bindings", "kafka", "partitions"), 0, "less than the minimum of 1"),
        (("asyncapi",), "2.6.0", "'3.0.0' was expected"),
    ],
)
def test_the_official_schema_refuses_a_broken_document(
    asyncapi_3: jsonschema.Draft7Validator, path: tuple[str, ...], value: Any, problem: str
) -> None:
    broken = json.loads(json.dumps(DOCUMENT))
    target = broken
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert problem in str(jsonschema.exceptions.best_match(asyncapi_3.iter_errors(broken)))


def test_required_fields_and_references_resolve() -> None:
    assert DOCUMENT["asyncapi"] == "3.0.0"
    assert DOCUMENT["info"]["title"]
    assert DOCUMENT["info"]["version"] == "1"
    for name, channel in DOCUMENT["channels"].items():
        assert channel["address"].endswith(f".{name}")
        assert set(re.findall(r"{(\w+)}", channel["address"])) == set(channel["parameters"])
        for parameter in channel["parameters"].values():
            assert _resolve(parameter["$ref"])["default"] == "lifecycle"
        assert channel["messages"], name
        for message in channel["messages"].values():
            assert _resolve(message["$ref"])["payload"]
    for name, operation in DOCUMENT["operations"].items():
        assert operation["action"] in {"send", "receive"}, name
        channel_ref = operation["channel"]["$ref"]
        assert channel_ref.startswith("#/channels/")
        _resolve(channel_ref)
        assert operation["messages"]
        for message in operation["messages"]:
            assert message["$ref"].startswith(channel_ref + "/messages/"), name
            _resolve(message["$ref"])


def test_the_crm_reads_entitlements_and_decisions_and_writes_cases() -> None:
    operations = DOCUMENT["operations"]
    assert operations["sendEntitlements"]["channel"] == {"$ref": "#/channels/entitlements"}
    assert operations["sendCaseDecisions"]["action"] == "send"
    assert operations["receiveCases"]["action"] == "receive"


def test_every_message_payload_is_a_schema_file_and_its_examples_validate() -> None:
    for kind, message in DOCUMENT["components"]["messages"].items():
        schema = json.loads((asyncapi.DOCUMENT.parent / message["payload"]["$ref"]).read_text())
        assert schema["$schema"].startswith("http://json-schema.org/"), kind
        for example in message["examples"]:
            jsonschema.validate(example["payload"], schema)
    assert DOCUMENT["components"]["messages"]["entitlement"]["examples"]
