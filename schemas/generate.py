"""Write schemas/json/<kind>.schema.json from the typed messages: standard JSON Schema (draft 7) for producers.

`python -m schemas.generate` (or `make schemas`) writes them; `--check` says whether the checked-in ones are in step.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import msgspec

from schemas.deadletter import DeadLetter
from schemas.documents import CaseDecision, Document, Holds, Notice
from schemas.events import EVENT_CLASSES, Event
from schemas.fields import WRITTEN_ORDER
from schemas.snapshot import Entitlement, UpgradeGrant

SCHEMA_DIR = Path(__file__).parent / "json"
DRAFT = "http://json-schema.org/draft-07/schema#"
ID = "https://schemas.subscription-lifecycle/{kind}.schema.json"
# Every document kind of the contract, in schemas.codec.DOCUMENT_KINDS's order: the events, then the outputs.
CLASSES: dict[str, type[Event] | type[Document]] = {
    **EVENT_CLASSES,
    "upgrade_grant": UpgradeGrant,
    "entitlement": Entitlement,
    "notice": Notice,
    "holds": Holds,
    "case_decision": CaseDecision,
    "deadletter": DeadLetter,
}
GENERATED_KINDS = tuple(CLASSES)
SOURCES = "schemas/events.py, event_parts.py, documents.py, deadletter.py and snapshot.py"


def schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of one generated kind."""
    cls = CLASSES[kind]
    generated = msgspec.json.schema(cls)
    definitions: dict[str, Any] = generated["$defs"]
    body = _finish(definitions[cls.__name__], definitions)
    return {
        "$schema": DRAFT,
        "$id": ID.format(kind=kind),
        "title": cls.title,
        # An event's docstring is its description; an output document's is too long for one, so it states it.
        "description": cls.description if issubclass(cls, Document) else body["description"],
        "type": "object",
        "required": body["required"],
        "properties": body["properties"],
        "additionalProperties": True,
    }


def _finish(node: Any, definitions: dict[str, Any]) -> Any:
    """msgspec's schema made self-contained draft 7, with what its generator does not say. The one place for it."""
    if isinstance(node, list):
        return [_finish(item, definitions) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        # Draft 7 ignores a reference's siblings: write the object in place; the field's description wins.
        target = definitions[node["$ref"].removeprefix("#/$defs/")]
        inlined = {name: value for name, value in target.items() if name not in ("title", "description")}
        node = {**{name: value for name, value in node.items() if name != "$ref"}, **inlined}
    if isinstance(node.get("type"), list) and "anyOf" in node:
        # A nullable written as one node with a type list: the other branch's keywords move up.
        branch = next(option for option in node["anyOf"] if option.get("type") != "null")
        node = {
            **{name: value for name, value in node.items() if name != "anyOf"},
            **{name: value for name, value in branch.items() if name != "type"},
        }
    if WRITTEN_ORDER in node:
        node = {name: value for name, value in node.items() if name != WRITTEN_ORDER} | {"enum": node[WRITTEN_ORDER]}
    finished = {name: _finish(value, definitions) for name, value in node.items()}
    if node.get("type") == "object":
        finished["additionalProperties"] = True  # fields beyond the contract's are allowed, and kept
    if isinstance(node.get("pattern"), str):
        finished["pattern"] = node["pattern"].replace("\\Z", "$")  # ECMA 262's `$` is Python's `\Z`
    if isinstance(node.get("enum"), list) and len(node["enum"]) == 1:
        del finished["enum"]
        finished["const"] = node["enum"][0]  # an event's type: its tag
    return finished


def render(kind: str) -> str:
    """The schema as the text checked in at schemas/json/<kind>.schema.json."""
    return json.dumps(schema(kind), indent=2, ensure_ascii=False) + "\n"


def stale(directory: Path) -> list[str]:
    """The generated kinds whose schema in `directory` differs from what the typed messages generate."""
    return [kind for kind in GENERATED_KINDS if _read(directory / f"{kind}.schema.json") != render(kind)]


def _read(path: Path) -> str | None:
    return path.read_text() if path.exists() else None


def main(argv: list[str]) -> int:
    """Write the schemas, or with --check report the ones out of step."""
    if argv == ["--check"]:
        if names := stale(SCHEMA_DIR):
            print(
                f"schemas/json out of step with {SOURCES}: {', '.join(names)}; run `make schemas`",
                file=sys.stderr,
            )
            return 1
        return 0
    if argv:
        print("usage: python -m schemas.generate [--check]", file=sys.stderr)
        return 2
    for kind in GENERATED_KINDS:
        (SCHEMA_DIR / f"{kind}.schema.json").write_text(render(kind))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
