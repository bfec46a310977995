"""The sample stream's timeline: events in the order they arrive, up to the stream's present."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

END = datetime(2026, 10, 30, 18, 0, tzinfo=UTC)


class Timeline:
    """Collects events with the order they arrive in: by time, except where a delay is asked for."""

    def __init__(self) -> None:
        self._items: list[tuple[datetime, int, dict[str, Any]]] = []

    def add(self, event: dict[str, Any], arrives: datetime | None = None) -> None:
        """Add an event that happened by END (the stream's present)."""
        if datetime.fromisoformat(event["occurred_at"]) > END:
            return
        self._items.append((arrives or datetime.fromisoformat(event["occurred_at"]), len(self._items), event))

    def events(self) -> list[dict[str, Any]]:
        return [event for _, _, event in sorted(self._items, key=lambda item: (item[0], item[1]))]
