"""The replayed events kept compact: one copy of each repeated value, and key-sharing dicts."""

from __future__ import annotations

from sys import intern
from typing import Any

import orjson

SHARED_FIELDS = frozenset(("type", "source", "channel", "product", "to_product", "license", "price", "schema_version"))


class _Fields:
    """Instances are never used: their dicts are, one subclass per event type (see `SharedValues.share`)."""


class SharedValues:
    """The first copy seen of each repeated value, handed out for every later equal one."""

    def __init__(self) -> None:
        self._values: dict[tuple[str, bytes], Any] = {}
        self._kinds: dict[Any, type[_Fields]] = {}

    def share(self, event: dict[str, Any]) -> dict[str, Any]:
        """An equal event whose repeated values are the shared copies, in a dict a third of the usual size."""
        # Each serial keeps its recent events: most of their values are the same few products and channels, and
        # events of one type have the same keys in the same order. An instance dict keeps its values only and
        # shares the keys with every other instance of its class.
        kind = self._kinds.get(event.get("type"))
        if kind is None:
            kind = self._kinds.setdefault(event.get("type"), type("Fields", (_Fields,), {}))
        fields: dict[str, Any] = kind().__dict__
        values = self._values
        for name, value in event.items():
            if name not in SHARED_FIELDS or value is None:
                fields[name] = value
            elif type(value) is str:
                fields[name] = intern(value)  # one copy of each text, kept only while something holds it
            else:
                # Keyed by its JSON, so 1, 1.0 and true stay apart.
                fields[name] = values.setdefault((name, orjson.dumps(value)), value)
        return fields
