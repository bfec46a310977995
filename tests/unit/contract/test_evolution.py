"""Schemas evolve backward compatibly: new optional fields only (baseline = the first published version).

The baseline carries one deliberate tightening: the plausibility bounds (event years 1990 through 2100,
quantity, lead_days and price ceilings, no control characters in text, serials of at most 64 and event
and order ids of at most 100 characters, so the tick and notice ids built from them fit their limits).
No real producer sends values outside them, and such values crashed the rules or broke the outputs'
schemas, so they were added to the baseline too. The snapshot and the holds document were then held to the
same bounds as the events they are made from (serials, account ids, names, the contact's email): a value
beyond them stalled the scheduler's sweeps or the store's index, and the processor never writes one.
"""

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
    problems += _narrowed_bounds(old, new, path)
    for name, old_property in old.get("properties", {}).items():
        if name not in new.get("properties", {}):
            problems.append(f"{path}.{name}: removed")
        else:
            problems += _incompatibilities(old_property, new["properties"][name], f"{path}.{name}")
    return problems


def _narrowed_bounds(old: dict[str, Any], new: dict[str, Any], path: str) -> list[str]:
    problems: list[str] = []
    for keyword, narrower in (("maximum", min), ("maxLength", min), ("minimum", max), ("minLength", max)):
        if keyword in new and (keyword not in old or narrower(old[keyword], new[keyword]) != old[keyword]):
            problems.append(f"{path}: {keyword} narrowed to {new[keyword]}")
    if "pattern" in new and new["pattern"] != old.get("pattern"):
        # Whether one regular expression accepts less than another is not decidable here: a person decides.
        problems.append(f"{path}: pattern changed to {new['pattern']}")
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


def test_the_check_catches_narrowed_bounds() -> None:
    old = {"properties": {"n": {"type": "integer", "minimum": 1}, "s": {"type": "string", "maxLength": 9}}}
    narrowed = {"type": "integer", "minimum": 2, "maximum": 5}
    new = {"properties": {"n": narrowed, "s": {"type": "string", "pattern": "^a"}}}
    assert _incompatibilities(old, new) == [
        ".n: maximum narrowed to 5",
        ".n: minimum narrowed to 2",
        ".s: pattern changed to ^a",
    ]
    loosened = {"properties": {"n": {"type": "integer", "minimum": 0}, "s": {"type": "string", "maxLength": 20}}}
    assert _incompatibilities(old, loosened) == []
