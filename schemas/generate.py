"""Write schemas/json/<type>.schema.json from the typed messages: standard JSON Schema (draft 7) for producers.

`python -m schemas.generate` (or `make schemas`) writes them; `--check` says whether the checked-in ones are in step.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import msgspec

from schemas.events import EVENT_CLASSES, Event

SCHEMA_DIR = Path(__file__).parent / "json"
DRAFT = "http://json-schema.org/draft-07/schema#"
ID = "https://schemas.subscription-lifecycle/{kind}.schema.json"
GENERATED_KINDS = tuple(EVENT_CLASSES)


def schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of one generated kind."""
    cls: type[Event] = EVENT_CLASSES[kind]
    generated = msgspec.json.schema(cls)
    definitions: dict[str, Any] = generated["$defs"]
    body = _finish(definitions[cls.__name__], definitions)
    return {
        "$schema": DRAFT,
        "$id": ID.format(kind=kind),
        "title": cls.title,
        "description": body["description"],
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
                f"schemas/json out of step with schemas/events.py: {', '.join(names)}; run `make schemas`",
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
