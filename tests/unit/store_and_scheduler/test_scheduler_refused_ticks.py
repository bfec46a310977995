"""A stored row the tick contract refuses: its tick is left out and logged, the rest of the sweep goes on."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from scheduler_fakes import AS_OF, Connection, FakeProducer, Ledger
from store_samples import snapshot

import consumers.scheduler.refusals as refusals_module
import consumers.scheduler.sweep as sweep_module
from consumers.scheduler.publisher import TickPublisher
from lifecycle import metrics
from lifecycle.rules import Policy

pytestmark = pytest.mark.unit

SHOWN_CHARS = 80  # of a serial in a log line
HOLD_SINCE = datetime(2027, 1, 1, 9, tzinfo=UTC)  # held long past the 30 days' hold period by AS_OF
GOOD = snapshot("AAA", expires_on="2027-03-14")  # an overdue expiry: due every sweep day


@pytest.fixture(autouse=True)
def _no_refusal_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(refusals_module, "_refused_before", {})


def _sweep(producer: FakeProducer, policy: Policy | None = None) -> sweep_module.SweepReport:
    publish = TickPublisher(cast(Any, producer), "p.ticks")
    return sweep_module.sweep(cast(Any, Connection()), publish, policy or Policy({}), AS_OF)


def _refused_count() -> float:
    return float(metrics.EVENTS.labels("scheduler", "rejected")._value.get())


REFUSED_ROWS = {
    "serial of 65 characters": (snapshot("Z" * 65, expires_on="2027-03-14"), []),
    "serial with a C1 control": (snapshot("SN-\u0085X", expires_on="2027-03-14"), []),
    "active, expiring before 1990": (snapshot("SN-OLD", expires_on="1985-06-01"), []),
    "held serial of 65 characters": (None, [("H" * 65, HOLD_SINCE)]),
}


@pytest.mark.parametrize(("row", "held"), REFUSED_ROWS.values(), ids=REFUSED_ROWS.keys())
def test_a_refused_tick_is_left_out_and_the_valid_ones_are_published_recorded_and_not_sent_again(
    monkeypatch: pytest.MonkeyPatch, row: dict[str, Any] | None, held: list[Any]
) -> None:
    ledger = Ledger(monkeypatch, [GOOD] if row is None else [GOOD, row], [("HHH", HOLD_SINCE), *held])
    producer = FakeProducer()
    refused_before = _refused_count()

    first = _sweep(producer)

    assert producer.sent == [b"AAA", b"HHH"]
    assert sorted(ledger.sent_on) == ["tick:AAA:expiry:2027-03-14", "tick:HHH:hold_expiry:2027-03-15"]
    assert (ledger.advanced, first.refused, first.summary()["refused"]) == (1, 1, 1)
    assert _refused_count() == refused_before + 1

    second = _sweep(producer)  # the next interval: the valid ticks are in the ledger, nothing goes again
    assert producer.sent == [b"AAA", b"HHH"]
    assert (ledger.advanced, second.ticks, second.sent_before, second.refused) == (2, [], 2, 1)


def test_a_row_whose_ticks_cannot_be_computed_is_left_out_logged_once_and_the_sweep_goes_on(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # A reminder 30 days before 0001-01-10 is before the first day a date can hold: the rules cannot compute it.
    ancient = snapshot("SN-ANCIENT", expires_on="0001-01-10")
    ledger = Ledger(monkeypatch, [GOOD, ancient, snapshot("ZZZ", expires_on="2027-03-14")], [("HHH", HOLD_SINCE)])
    producer = FakeProducer()
    refused_before = _refused_count()
    with caplog.at_level(logging.WARNING, logger="consumers.scheduler"):
        reports = [_sweep(producer, Policy.with_lead_days((30, 7, 1))) for _ in range(2)]
    assert producer.sent == [b"AAA", b"ZZZ", b"HHH"]
    assert (ledger.advanced, [report.refused for report in reports]) == (2, [1, 1])
    assert _refused_count() == refused_before + 1
    [line] = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert line.startswith("row of serial 'SN-ANCIENT' left out, its ticks cannot be computed (OverflowError: ")


def test_a_refused_tick_is_logged_once_with_its_serial_escaped_and_cut(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    serial = "\u0085" + "S" * 199
    Ledger(monkeypatch, [snapshot(serial, expires_on="2027-03-14")], [])
    with caplog.at_level(logging.WARNING, logger="consumers.scheduler"):
        report = _sweep(FakeProducer())
    [line] = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert report.refused == 1
    assert "expiry tick for serial '\\x85SSS" in line
    assert "(200 characters)" in line
    assert "\u0085" not in line
    assert "S" * SHOWN_CHARS not in line
    assert "the tick contract refuses it ('event_id: must be shorter than or equal to 100 characters')" in line


def test_a_tick_refused_again_at_the_next_sweep_is_counted_in_its_summary_but_not_logged_or_counted_again(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    Ledger(monkeypatch, [snapshot("Z" * 65, expires_on="2027-03-14")], [])
    refused_before = _refused_count()
    with caplog.at_level(logging.WARNING, logger="consumers.scheduler"):
        reports = [_sweep(FakeProducer()) for _ in range(3)]
    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert [report.refused for report in reports] == [1, 1, 1]
    assert len(warnings) == 1
    assert _refused_count() == refused_before + 1


def test_the_refusals_remembered_are_bounded_the_oldest_forgotten_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(refusals_module, "REMEMBERED_REFUSALS", 2)
    tick = {"event_id": "x" * 101, "kind": "expiry", "serial": "S"}
    ticks = [{**tick, "event_id": f"{n}" + "x" * 101} for n in range(3)]
    assert refusals_module.valid_ticks(ticks) == []
    assert list(refusals_module._refused_before) == [ticks[1]["event_id"], ticks[2]["event_id"]]
    refusals_module.valid_ticks(ticks[:1])  # forgotten, so refused for the first time again
    assert list(refusals_module._refused_before) == [ticks[2]["event_id"], ticks[0]["event_id"]]
