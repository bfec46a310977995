"""The replay's due moments: each serial's next one in a heap, the newest schedule of a serial winning."""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from datetime import datetime


class DueMoments:
    """When each serial next has something fall due; fired in due order as the clock passes them."""

    def __init__(self) -> None:
        self._heap: list[tuple[datetime, str]] = []
        self._scheduled: dict[str, datetime] = {}

    def schedule(self, serial: str, due: datetime | None) -> None:
        """Let `serial`'s next due moment be `due` (None: keep what was scheduled)."""
        if due is not None and self._scheduled.get(serial) != due:
            self._scheduled[serial] = due
            heapq.heappush(self._heap, (due, serial))

    def any_by(self, instant: datetime) -> bool:
        """Whether anything may fall due by `instant` (a superseded schedule too: `due_by` passes over it)."""
        heap = self._heap
        return bool(heap) and heap[0][0] <= instant

    def due_by(self, instant: datetime) -> Iterator[tuple[datetime, str]]:
        """The (due moment, serial) pairs due by `instant`, earliest first, each taken off once."""
        heap, scheduled = self._heap, self._scheduled
        while heap and heap[0][0] <= instant:
            due, serial = heapq.heappop(heap)
            if scheduled.get(serial) != due:
                continue  # superseded by a newer schedule
            del scheduled[serial]
            yield due, serial
