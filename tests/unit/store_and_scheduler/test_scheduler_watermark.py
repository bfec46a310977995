"""The watermark never runs ahead of the clock: a sweep as of a later instant leaves the time after now to later
sweeps, a watermark stored in the future (by an earlier version) is read as now, and `--since` must not pass
`--as-of`."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from scheduler_fakes import AS_OF, Connection, FakeProducer, Ledger
from store_samples import snapshot

import consumers.scheduler.sweep as sweep_module
from consumers.scheduler.publisher import TickPublisher
from consumers.scheduler.queries import Watermark
from lifecycle.cli import main
from lifecycle.rules import Policy

pytestmark = pytest.mark.unit

NOW = AS_OF  # the fakes' database clock
ROWS = [snapshot(f"SN-{n}", expires_on="2027-04-20") for n in range(3)]  # reminders due in the weeks after NOW
LATER = datetime(2027, 4, 25, tzinfo=UTC)


def _stored(monkeypatch: pytest.MonkeyPatch, swept_until: datetime) -> list[Watermark]:
    """The fakes' ledger with `swept_until` stored; the watermarks each sweep stores are appended to the list."""
    Ledger(monkeypatch, ROWS, [])
    stored: list[Watermark] = []
    monkeypatch.setattr(sweep_module, "read_watermark", lambda _c: Watermark(swept_until, NOW - timedelta(hours=1)))
    monkeypatch.setattr(sweep_module, "advance_watermark", lambda _c, mark, _n: stored.append(mark))
    return stored


def _sweep(as_of: datetime, producer: FakeProducer | None = None) -> sweep_module.SweepReport:
    publish = TickPublisher(cast(Any, producer or FakeProducer()), "p.ticks")
    return sweep_module.sweep(cast(Any, Connection()), publish, Policy.with_lead_days((30, 7, 1)), as_of)


def test_a_sweep_as_of_a_later_instant_stores_now_and_the_next_sends_nothing_twice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stored = _stored(monkeypatch, NOW - timedelta(hours=1))
    producer = FakeProducer()

    ahead = _sweep(LATER, producer)  # `--once --as-of` a later instant: documented, publishes what falls due by then
    assert ahead.tick_count == len(producer.sent) > 0
    assert stored == [Watermark(NOW, NOW)]  # not LATER: the sweeps to come still cover (NOW, LATER]

    # The same window again (the scheduler's later sweeps reach it): the ledger holds every tick, none goes twice.
    again = _sweep(LATER, producer)
    assert (again.tick_count, again.sent_before) == (0, ahead.tick_count)
    assert len(producer.sent) == ahead.tick_count


def test_a_watermark_stored_in_the_future_is_read_as_now_with_one_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    stored = _stored(monkeypatch, datetime(9000, 1, 1, tzinfo=UTC))
    with caplog.at_level(logging.WARNING, logger=sweep_module.__name__):
        report = _sweep(NOW)

    assert report.after == NOW  # an empty window, not an inverted one that never sweeps again
    assert stored == [Watermark(NOW, NOW)]
    [warning] = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert warning.getMessage().startswith("the stored watermark 9000-01-01T00:00:00+00:00 is later than the clock:")

    later = _sweep(LATER)  # the window reaches forward from now again: the ticks falling due are found
    assert (later.after, later.tick_count) == (NOW, len(ROWS) * 4)  # each row's three reminders and its expiry


def test_a_watermark_behind_the_clock_is_read_as_stored(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    stored = _stored(monkeypatch, NOW - timedelta(minutes=1))
    with caplog.at_level(logging.WARNING):
        report = _sweep(NOW)
    assert (report.after, stored, caplog.records) == (NOW - timedelta(minutes=1), [Watermark(NOW, NOW)], [])


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (
            ["--as-of", "2026-01-01T00:00:00Z", "--since", "2026-02-01T00:00:00Z"],
            "lifecycle scheduler: --since 2026-02-01T00:00:00+00:00 is later than --as-of 2026-01-01T00:00:00+00:00: "
            "a sweep runs from --since to --as-of",
        ),
        (
            ["--since", "2100-02-01T00:00:00Z"],
            "lifecycle scheduler: --since 2100-02-01T00:00:00+00:00 is later than now: "
            "a sweep runs from --since to --as-of",
        ),
    ],
)
def test_a_since_later_than_the_as_of_is_one_line(
    argv: list[str], line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["scheduler", "--once", *argv]) == 2  # before any broker or database is asked
    assert capsys.readouterr().err.splitlines() == [line]
