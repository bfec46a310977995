"""A sweep reads, checks, publishes and notes a page of rows at a time; the watermark moves once all went out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any, cast

import pytest
from scheduler_fakes import AS_OF, Connection, FakeProducer, Ledger
from store_samples import snapshot

import consumers.scheduler.pages as pages_module
import consumers.scheduler.sweep as sweep_module
from consumers.scheduler.publisher import TickPublisher
from consumers.scheduler.queries import candidates
from lifecycle.rules import Policy
from lifecycle.rules.due import SnapshotDates

pytestmark = pytest.mark.unit

PAGE = 10
HOLD_SINCE = datetime(2027, 1, 1, 9, tzinfo=UTC)
ROWS = [snapshot(f"SN-{n:03d}", expires_on="2027-03-14") for n in range(25)]  # an overdue expiry each
HELD = [(f"HN-{n:03d}", HOLD_SINCE) for n in range(12)]
SERIALS = [row["serial"].encode() for row in ROWS] + [serial.encode() for serial, _ in HELD]


@pytest.fixture(autouse=True)
def _small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pages_module, "PAGE_ROWS", PAGE)


class Publisher:
    """Publishes through a fake producer; records each batch's size, and fails on the batch numbered `fail_at`."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.producer = FakeProducer()
        self.publish = TickPublisher(cast(Any, self.producer), "p.ticks")
        self.batches: list[int] = []
        self.fail_at = fail_at

    def __call__(self, ticks: Sequence[dict[str, Any]]) -> None:
        if len(self.batches) == self.fail_at:
            raise RuntimeError("broker unavailable")
        self.batches.append(len(ticks))
        self.publish(ticks)


def _sweep(publish: Publisher) -> sweep_module.SweepReport:
    return sweep_module.sweep(cast(Any, Connection()), publish, Policy({}), AS_OF)


def test_a_sweep_over_many_rows_never_holds_more_than_one_page(monkeypatch: pytest.MonkeyPatch) -> None:
    ledger = Ledger(monkeypatch, ROWS, HELD)
    publish = Publisher()

    report = _sweep(publish)

    assert publish.producer.sent == SERIALS  # by serial, the held serials after the rows, each once
    assert (report.candidates, len(report.ticks), ledger.advanced) == (len(ROWS), len(SERIALS), 1)
    assert publish.batches == [10, 10, 5, 10, 2]
    assert max(ledger.largest_read, ledger.largest_lookup, ledger.largest_record) == PAGE

    again = _sweep(publish)  # every tick is in the ledger: none goes again
    assert (again.ticks, again.sent_before, ledger.advanced) == ([], len(SERIALS), 2)


def test_a_sweep_failing_part_way_keeps_the_watermark_and_the_pages_already_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ledger = Ledger(monkeypatch, ROWS, HELD)
    failing = Publisher(fail_at=1)
    with pytest.raises(RuntimeError):
        _sweep(failing)
    assert (ledger.advanced, sorted(ledger.sent_on)) == (0, [f"tick:SN-{n:03d}:expiry:2027-03-14" for n in range(10)])

    publish = Publisher()
    report = _sweep(publish)  # the same window again: only what did not go out
    assert publish.producer.sent == SERIALS[PAGE:]
    assert (report.sent_before, ledger.advanced) == (PAGE, 1)


class Cursor:
    """Answers one stored row; keeps the statement and its parameters."""

    def __init__(self, statements: list[tuple[str, dict[str, Any]]]) -> None:
        self.statements = statements

    def __enter__(self) -> Cursor:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def execute(self, statement: str, params: dict[str, Any]) -> None:
        self.statements.append((statement, params))

    def __iter__(self) -> Any:
        return iter([("SN-1", "active", "advantage_premier", date(2027, 3, 15), "backup", "11.5", True, True)])


class QueryConnection:
    def __init__(self) -> None:
        self.statements: list[tuple[str, dict[str, Any]]] = []

    def cursor(self) -> Cursor:
        return Cursor(self.statements)


def test_candidates_are_read_by_serial_a_page_at_a_time_as_the_columns_the_rules_read() -> None:
    connection = QueryConnection()
    [found] = candidates(
        cast(Any, connection), expiring_until=date(2027, 3, 15), changed_since=None, versions=[], after_serial="SN-0"
    )
    [(statement, params)] = connection.statements
    assert "document" not in statement
    assert "WHERE serial > %(after)s" in statement
    assert statement.rstrip().endswith("ORDER BY serial LIMIT %(limit)s")
    assert (params["after"], params["limit"]) == ("SN-0", 2000)
    assert (found.serial, found.changed) == ("SN-1", True)
    assert found.dates == SnapshotDates.of(snapshot("SN-1"))


def test_a_sweep_lists_a_bounded_number_of_its_ticks_and_counts_them_all(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sweep_module, "TICKS_LISTED", 3)
    Ledger(monkeypatch, ROWS, HELD)
    publish = Publisher()
    summary = _sweep(publish).summary()
    assert publish.producer.sent == SERIALS  # every tick goes out
    assert (summary["ticks"], summary["event_ids_not_listed"]) == (len(SERIALS), len(SERIALS) - 3)
    assert summary["event_ids"] == [f"tick:SN-{n:03d}:expiry:2027-03-14" for n in range(3)]
