"""The AsyncAPI 3 document of every topic, generated from lifecycle/topics.py, lifecycle/groups.py and schemas/json.

`python -m lifecycle.asyncapi` (or `make asyncapi`) writes schemas/asyncapi.json; `--check` says whether it is in step.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from lifecycle.groups import ALL_GROUPS
from lifecycle.topics import ALL_TOPICS, DAY_MS, TOPIC_BY_EVENT_TYPE, TopicSpec
from schemas.codec import SCHEMA_DIR, SCHEMA_VERSION, load_schema

DOCUMENT = SCHEMA_DIR.parent / "asyncapi.json"  # checked in next to the schemas it points to
EXAMPLES = SCHEMA_DIR.parent / "examples"
KAFKA_BINDING = "0.5.0"
PREFIX_DEFAULT = "lifecycle"

# The schema of each topic's values: inbound events by their type, the pipeline's own documents by name.
VALUE_KIND: dict[str, str] = {topic.suffix: kind for kind, topic in TOPIC_BY_EVENT_TYPE.items()} | {
    "upgrade-grants": "upgrade_grant",
    "entitlements": "entitlement",
    "notices": "notice",
    "case-decisions": "case_decision",
    "holds": "holds",
    "deadletter": "deadletter",
}
# Who writes and reads each topic, as its channel's description says it.
PARTIES: dict[str, str] = {
    "purchases": "Written by the store backends; read by the processor.",
    "registrations": "Written by the registration site; read by the processor.",
    "renewals": "Written by sales and partners; read by the processor.",
    "upgrades": "Written by the account portal; read by the processor.",
    "cases": "Written by the CRM (one support case each); read by the processor, which answers on case-decisions.",
    "releases": "Written by release management, one record per product version; read by every worker and the store.",
    "ticks": "Written by `lifecycle scheduler`: wall-clock time reaching the rules; read by the processor.",
    "upgrade-grants": "Written and read by the processor: an upgrade's grant, on the new serial's partition.",
    "entitlements": "Written by the processor; read by the store and the CRM. Keep the highest revision per serial.",
    "notices": "Written by the processor; read by `lifecycle notifier`, and by the CRM for what a customer was told.",
    "case-decisions": "Written by the processor; read by the CRM: one decision per case number.",
    "holds": "Written by the processor; read by the store: the events that wait for their serial's purchase.",
    "deadletter": "Written by every component; read by `lifecycle redrive` and the dashboard: refused inputs.",
}
# What the pipeline writes itself; it reads what its consumer groups commit, the releases and the dead letters.
SENT = ("ticks", "upgrade-grants", "entitlements", "notices", "case-decisions", "holds", "deadletter")
RECEIVED = (*(topic.suffix for group in ALL_GROUPS for topic in group.reads), "releases", "deadletter")


def _camel(*words: str) -> str:
    parts = [part for word in words for part in word.replace("_", "-").split("-")]
    return parts[0] + "".join(part.capitalize() for part in parts[1:])


def _topic_configuration(topic: TopicSpec) -> dict[str, Any]:
    configs: dict[str, Any] = {name: int(value) for name, value in topic.configs().items() if name != "cleanup.policy"}
    return {"cleanup.policy": topic.cleanup_policy.split(","), **configs}


def _description(topic: TopicSpec) -> str:
    days = "forever" if topic.retention_ms < 0 else f"{topic.retention_ms // DAY_MS} days"
    life = "compacted: the latest record of each key stays" if "compact" in topic.cleanup_policy else f"kept {days}"
    order = "one partition per key (murmur2), so one key's records arrive in order"
    return f"{PARTIES[topic.suffix]} Key: {topic.key}; {order}. {topic.partitions} partitions, {life}."


def _channel(topic: TopicSpec) -> dict[str, Any]:
    kind = VALUE_KIND[topic.suffix]
    return {
        "address": "{prefix}." + topic.suffix,
        "title": topic.suffix,
        "description": _description(topic),
        "parameters": {"prefix": {"$ref": "#/components/parameters/prefix"}},
        "messages": {kind: {"$ref": f"#/components/messages/{kind}"}},
        "bindings": {
            "kafka": {
                "partitions": topic.partitions,
                "topicConfiguration": _topic_configuration(topic),
                "bindingVersion": KAFKA_BINDING,
            }
        },
    }


def _operations(topics: tuple[TopicSpec, ...]) -> dict[str, Any]:
    operations: dict[str, Any] = {}
    for action, suffixes in (("receive", RECEIVED), ("send", SENT)):
        for topic in (t for t in topics if t.suffix in suffixes):
            kind = VALUE_KIND[topic.suffix]
            operations[_camel(action, topic.suffix)] = {
                "action": action,
                "channel": {"$ref": f"#/channels/{topic.suffix}"},
                "messages": [{"$ref": f"#/channels/{topic.suffix}/messages/{kind}"}],
            }
    return operations


def _message(kind: str, topic: TopicSpec) -> dict[str, Any]:
    schema = load_schema(kind)
    examples = sorted((EXAMPLES / kind / "valid").glob("*.json"))
    return {
        "name": kind,
        "title": schema["title"],
        "summary": schema["description"],
        "contentType": "application/json",
        "payload": {"$ref": f"./json/{kind}.schema.json"},
        "bindings": {"kafka": {"key": {"type": "string", "description": topic.key}, "bindingVersion": KAFKA_BINDING}},
        "examples": [{"name": path.stem, "payload": json.loads(path.read_text())} for path in examples],
    }


def documented_topics() -> tuple[TopicSpec, ...]:
    """The topics whose value schema exists in schemas/json: each is a channel of the document."""
    return tuple(t for t in ALL_TOPICS if (SCHEMA_DIR / f"{VALUE_KIND[t.suffix]}.schema.json").exists())


def build() -> dict[str, Any]:
    """The AsyncAPI 3.0.0 document as a dictionary."""
    topics = documented_topics()
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "subscription-lifecycle topics",
            "version": str(SCHEMA_VERSION),
            "description": (
                "The Kafka topics of the pipeline, what each carries (JSON, UTF-8) and who writes and reads it. "
                "Generated from lifecycle/topics.py and schemas/json by `make asyncapi`; do not edit by hand. "
                "Within schema_version 1 changes are additive only (new optional fields, new enum values); "
                "anything else comes as a new schema_version. README.md, 'For the CRM team', says how to consume."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "local": {
                "host": "127.0.0.1:9092",
                "protocol": "kafka",
                "description": "The local broker that `lifecycle stack up` starts (LIFECYCLE_KAFKA_BOOTSTRAP).",
            }
        },
        "channels": {topic.suffix: _channel(topic) for topic in topics},
        "operations": _operations(topics),
        "components": {
            "parameters": {
                "prefix": {
                    "description": "The deployment's LIFECYCLE_TOPIC_PREFIX.",
                    "default": PREFIX_DEFAULT,
                    "examples": [PREFIX_DEFAULT],
                }
            },
            "messages": {VALUE_KIND[topic.suffix]: _message(VALUE_KIND[topic.suffix], topic) for topic in topics},
        },
    }


def render() -> str:
    """The document as the text checked in at schemas/asyncapi.json."""
    return json.dumps(build(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    """Write the document, or with --check report whether the checked-in one is in step."""
    if argv == ["--check"]:
        if DOCUMENT.exists() and DOCUMENT.read_text() == render():
            return 0
        print(f"{DOCUMENT.name} is out of step with the topics and schemas: run `make asyncapi`", file=sys.stderr)
        return 1
    if argv:
        print("usage: python -m lifecycle.asyncapi [--check]", file=sys.stderr)
        return 2
    DOCUMENT.write_text(render())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
