"""What the processor's tests read from its outputs, on top of `streams.harness` (which the bench shares)."""

from __future__ import annotations

from typing import Any

import orjson

from lifecycle.settings import Settings
from streams.harness import read_all


def latest_by_key(settings: Settings, suffix: str) -> dict[str, dict[str, Any]]:
    """The last value of each key of a topic, decoded (the entitlements as a compacted topic would keep them)."""
    return {r.key.decode(): orjson.loads(r.value) for r in read_all(settings, suffix) if r.key is not None}
