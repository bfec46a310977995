"""The contract's examples (schemas/examples/<kind>/valid/<name>.json), the one source of sample documents in tests.

Import it as `from examples import example` (tests/ is on sys.path through tests/conftest.py).
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).parents[1] / "schemas" / "examples"


@functools.cache
def _read(kind: str, name: str) -> dict[str, Any]:
    path = EXAMPLES / kind / "valid" / f"{name}.json"
    document: dict[str, Any] = json.loads(path.read_text())
    return document


def example(kind: str, name: str = "example") -> dict[str, Any]:
    """A fresh copy of the valid example `name` of `kind`, to change as a test needs."""
    return copy.deepcopy(_read(kind, name))


def example_names(kind: str) -> list[str]:
    """The names of the valid examples of `kind`, sorted."""
    return sorted(path.stem for path in (EXAMPLES / kind / "valid").glob("*.json"))
