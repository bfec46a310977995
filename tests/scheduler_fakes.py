"""The scheduler's queries in memory: stored rows read a page at a time by serial, the tick ledger, the watermark."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

import consumers.scheduler.pages as pages_module
import consumers.scheduler.sweep as sweep_module
from consumers.scheduler.queries import Candidate, Watermark
from lifecycle.rules.due import SnapshotDates

AS_OF = datetime(2027, 3, 15, 12, tzinfo=UTC)


class FakeProducer:
    """Keeps the key of every tick sent; every send succeeds."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def send(self, topic: str, key: bytes, value: bytes) -> Any:
        self.sent.append(key)
        return self

    def get(self, timeout: float) -> None:
        pass

    def flush(self, timeout: float) -> None:
        pass


class Connection:
    """Counts the transactions ended."""

    def __init__(self) -> None:
        self.commits = 0

    def rollback(self) -> None:
        pass

    def commit(self) -> None:
        self.commits += 1


class Ledger:
    """The tick ledger and the watermark in memory, patched over the scheduler's queries; records the largest page."""

    def __init__(
        self, monkeypatch: pytest.MonkeyPatch, rows: list[dict[str, Any]], held: list[tuple[str, datetime]]
    ) -> None:
        self.rows = sorted(rows, key=lambda row: str(row["serial"]))
        self.held = sorted(held)
        self.sent_on: dict[str, date] = {}
        self.advanced = 0
        self.largest_read = self.largest_lookup = self.largest_record = 0
        watermark = Watermark(datetime(2027, 3, 15, 11, tzinfo=UTC), datetime(2027, 3, 15, 11, tzinfo=UTC))
        for module in (sweep_module, pages_module):
            for name, fake in {
                "database_now": lambda c: AS_OF,
                "read_watermark": lambda c: watermark,
                "load_catalog": lambda c: {},
                "supported_versions": lambda c: [],
                "candidates": self.candidates,
                "held_since_cutoff": self.held_since_cutoff,
                "sent_days": self.sent_days,
                "record_sent": self.record_sent,
                "advance_watermark": self.advance_watermark,
            }.items():
                if hasattr(module, name):
                    monkeypatch.setattr(module, name, fake)

    def _page(self, rows: list[Any], limit: int | None) -> list[Any]:
        page = rows if limit is None else rows[:limit]
        self.largest_read = max(self.largest_read, len(page))
        return page

    def candidates(self, connection: Any, *, after_serial: str = "", limit: int | None = None, **_: Any) -> Any:
        """Every row after `after_serial` (all of them when no page size is asked for)."""
        rows = [row for row in self.rows if row["serial"] > after_serial]
        return [Candidate(row["serial"], SnapshotDates.of(row), False) for row in self._page(rows, limit)]

    def held_since_cutoff(
        self, connection: Any, cutoff: datetime, after_serial: str = "", limit: int | None = None
    ) -> list[tuple[str, datetime]]:
        return self._page([row for row in self.held if row[0] > after_serial], limit)

    def sent_days(self, connection: Any, ids: list[str]) -> dict[str, date]:
        self.largest_lookup = max(self.largest_lookup, len(ids))
        return {i: self.sent_on[i] for i in ids if i in self.sent_on}

    def record_sent(self, connection: Any, ticks: list[dict[str, Any]], day: date, forget_before: date) -> None:
        self.largest_record = max(self.largest_record, len(ticks))
        self.sent_on.update((tick["event_id"], day) for tick in ticks)

    def advance_watermark(self, connection: Any, watermark: Watermark, ticks: int) -> None:
        self.advanced += 1
