"""Schemas evolve backward compatibly: new optional fields only (baseline = the first published version)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from schemas.codec import DOCUMENT_KINDS, load_schema, validate

BASELINE = Path(__file__).parent / "baseline"
EXAMPLES = Path(__file__).parents[3] / "schemas" / "examples"


def _incompatibilities(old: dict[str, Any], new: dict[str, Any], path: str = "") -> list[str]:
    """What a reader of `new` would refuse that a producer of `old` may send."""
    problems: list[str] = []
    added_required = set(new.get("required", ())) - set(old.get("required", ()))
    problems += [f"{path}.{name}: newly required" for name in sorted(added_required)]
    if "enum" in old and not set(old["enum"]) <= set(new.get("enum", old["enum"])):
        problems.append(f"{path}: enum values removed")
    if old.get("type") != new.get("type") and "type" in old:
        problems.append(f"{path}: type changed from {old.get('type')} to {new.get('type')}")
    if old.get("additionalProperties", True) and new.get("additionalProperties", True) is False:
        problems.append(f"{path}: additional properties no longer allowed")
    for name, old_property in old.get("properties", {}).items():
        if name not in new.get("properties", {}):
            problems.append(f"{path}.{name}: removed")
        else:
            problems += _incompatibilities(old_property, new["properties"][name], f"{path}.{name}")
    return problems


@pytest.mark.parametrize("kind", DOCUMENT_KINDS)
def test_current_schema_accepts_everything_the_baseline_accepted(kind: str) -> None:
    baseline = json.loads((BASELINE / f"{kind}.schema.json").read_text())
    assert _incompatibilities(baseline, load_schema(kind)) == []


@pytest.mark.parametrize("kind", DOCUMENT_KINDS)
def test_examples_of_the_baseline_still_validate(kind: str) -> None:
    for path in (EXAMPLES / kind / "valid").glob("*.json"):
        validate(kind, json.loads(path.read_text()))


def test_the_check_catches_a_breaking_change() -> None:
    old = {"type": "object", "required": ["a"], "properties": {"a": {"enum": ["x", "y"]}, "b": {"type": "string"}}}
    new = {"type": "object", "required": ["a", "b"], "properties": {"a": {"enum": ["x"]}}}
    assert _incompatibilities(old, new) == [".b: newly required", ".a: enum values removed", ".b: removed"]
