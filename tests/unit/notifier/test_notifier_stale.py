"""R17: a notice stale on delivery (a reminder after its expiry, or too long past due) is skipped, recorded, final."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from fake_deadletters import FakeDeadLetters
from notifier_fakes import PERMANENT, TRANSIENT, FakeClock, FakeLedger, FakeRecord, FakeTransport
from notifier_samples import notice
from prometheus_client import REGISTRY

from consumers.notifier.freshness import EXPIRY_PASSED, TOO_OLD, staleness
from consumers.notifier.handler import NoticeHandler, Outcome, RetryLaterError
from consumers.notifier.render import NoticeRenderer

MAX_AGE = 7
# The sample notices are due on 2026-03-15; their support runs 2026-03-15 <= day < 2027-03-15.
DUE = date(2026, 3, 15)


def _at(day: date, hour: int = 9, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC)


def _skipped(kind: str, reason: str) -> float:
    return REGISTRY.get_sample_value("lifecycle_notices_skipped_total", {"kind": kind, "reason": reason}) or 0.0


def _reminder(lead_days: int = 1) -> dict[str, object]:
    """The reminder `lead_days` before the sample's expiry, due on that day."""
    document = notice("expiry_reminder", lead_days=lead_days)
    document["due_on"] = (date(2027, 3, 15) - timedelta(days=lead_days)).isoformat()
    document["notice_id"] = f"expiry_reminder:SN-1:2027-03-15:{lead_days}"
    return document


def _handler(clock: FakeClock, transport: FakeTransport, ledger: FakeLedger) -> NoticeHandler:
    return NoticeHandler(
        NoticeRenderer(), transport, ledger, FakeDeadLetters(), "support@example.com", max_age_days=MAX_AGE, now=clock
    )


@pytest.fixture
def handler(clock: FakeClock, transport: FakeTransport, ledger: FakeLedger) -> NoticeHandler:
    return _handler(clock, transport, ledger)


def test_a_reminder_delivered_after_the_expiry_is_skipped_and_recorded(
    handler: NoticeHandler, clock: FakeClock, transport: FakeTransport, ledger: FakeLedger
) -> None:
    document = _reminder(lead_days=1)
    clock.at = _at(date(2027, 3, 15), 0, 0, 1)  # support covers days before 2027-03-15: it has ended
    before = _skipped("expiry_reminder", EXPIRY_PASSED)

    assert handler.handle(FakeRecord.of(document)) is Outcome.SKIPPED

    assert transport.sent == []
    row = ledger.rows[str(document["notice_id"])]
    assert (row["status"], row["skip_reason"], row["attempts"]) == ("skipped", EXPIRY_PASSED, 0)
    assert row["last_error"] == "the last day of support was 2027-03-14; today is 2027-03-15"
    assert _skipped("expiry_reminder", EXPIRY_PASSED) == before + 1


def test_a_reminder_on_the_last_day_of_support_is_still_sent(
    handler: NoticeHandler, clock: FakeClock, transport: FakeTransport
) -> None:
    clock.at = _at(date(2027, 3, 14), 23, 59, 59)

    assert handler.handle(FakeRecord.of(_reminder(lead_days=1))) is Outcome.SENT
    assert len(transport.sent) == 1


def test_a_notice_more_than_the_max_age_past_due_is_skipped(
    handler: NoticeHandler, clock: FakeClock, transport: FakeTransport, ledger: FakeLedger
) -> None:
    document = notice("support_started")
    clock.at = _at(DUE + timedelta(days=MAX_AGE + 1))
    before = _skipped("support_started", TOO_OLD)

    assert handler.handle(FakeRecord.of(document)) is Outcome.SKIPPED

    assert transport.sent == []
    row = ledger.rows[document["notice_id"]]
    assert (row["status"], row["skip_reason"]) == ("skipped", TOO_OLD)
    assert row["last_error"] == "due on 2026-03-15, 8 days before 2026-03-23 (at most 7)"
    assert _skipped("support_started", TOO_OLD) == before + 1


def test_a_fresh_notice_is_sent(handler: NoticeHandler, clock: FakeClock, transport: FakeTransport) -> None:
    clock.at = _at(DUE + timedelta(days=3))

    assert handler.handle(FakeRecord.of(notice("renewal_confirmed"))) is Outcome.SENT
    assert len(transport.sent) == 1


@pytest.mark.parametrize(
    ("moment", "outcome"),
    [
        (_at(DUE + timedelta(days=MAX_AGE), 0, 0, 0), Outcome.SENT),
        (_at(DUE + timedelta(days=MAX_AGE), 23, 59, 59), Outcome.SENT),
        (_at(DUE + timedelta(days=MAX_AGE + 1), 0, 0, 0), Outcome.SKIPPED),
        # 01:00 at UTC+5 is still the 7th day in UTC, where due dates live.
        (datetime(2026, 3, 23, 1, 0, tzinfo=timezone(timedelta(hours=5))), Outcome.SENT),
    ],
)
def test_exactly_max_age_days_past_due_is_still_sent(
    handler: NoticeHandler, clock: FakeClock, transport: FakeTransport, moment: datetime, outcome: Outcome
) -> None:
    clock.at = moment

    assert handler.handle(FakeRecord.of(notice("support_expired"))) is outcome
    assert len(transport.sent) == (1 if outcome is Outcome.SENT else 0)


def test_a_skipped_notice_redelivered_stays_skipped_and_unsent(
    handler: NoticeHandler, clock: FakeClock, transport: FakeTransport, ledger: FakeLedger
) -> None:
    document = notice("support_started")
    clock.at = _at(DUE + timedelta(days=30))
    assert handler.handle(FakeRecord.of(document)) is Outcome.SKIPPED
    before = _skipped("support_started", TOO_OLD)

    # Even a notifier whose clock would find it fresh, sharing the ledger, does not send it.
    lenient = _handler(FakeClock(), transport, ledger)
    outcomes = [handler.handle(FakeRecord.of(document, offset=1)), lenient.handle(FakeRecord.of(document, offset=2))]

    assert outcomes == [Outcome.DUPLICATE, Outcome.DUPLICATE]
    assert transport.sent == []
    ledger.record_sent(document["notice_id"], "smtp", "<late@example.com>", "pat@example.com")
    assert ledger.rows[document["notice_id"]]["status"] == "skipped"
    assert _skipped("support_started", TOO_OLD) == before  # counted once


def test_a_notice_retried_until_it_is_stale_is_skipped(
    handler: NoticeHandler, clock: FakeClock, transport: FakeTransport, ledger: FakeLedger
) -> None:
    document = notice("support_expired")
    transport.failures.append(TRANSIENT)
    with pytest.raises(RetryLaterError):
        handler.handle(FakeRecord.of(document))

    clock.at = _at(DUE + timedelta(days=MAX_AGE + 1))  # the SMTP relay was away for more than a week

    assert handler.handle(FakeRecord.of(document)) is Outcome.SKIPPED
    row = ledger.rows[document["notice_id"]]
    assert (row["status"], row["attempts"], row["skip_reason"]) == ("skipped", 1, TOO_OLD)
    assert transport.sent == []


def test_a_dead_lettered_notice_redriven_when_stale_is_skipped(
    handler: NoticeHandler, clock: FakeClock, transport: FakeTransport, ledger: FakeLedger
) -> None:
    document = notice("ppi_added", "home")
    transport.failures.append(PERMANENT)
    assert handler.handle(FakeRecord.of(document)) is Outcome.DEAD_LETTERED

    clock.at = _at(DUE + timedelta(days=20))  # `lifecycle redrive` long after

    assert handler.handle(FakeRecord.of(document)) is Outcome.SKIPPED
    assert ledger.rows[document["notice_id"]]["status"] == "skipped"
    assert transport.sent == []


@pytest.mark.parametrize(
    ("document", "today", "reason"),
    [
        (_reminder(lead_days=1), date(2027, 3, 14), None),
        (_reminder(lead_days=1), date(2027, 3, 15), EXPIRY_PASSED),
        (_reminder(lead_days=30), date(2027, 3, 14), TOO_OLD),
        # Both apply: the reminder's expiry has passed, and that is the reason given.
        (_reminder(lead_days=30), date(2028, 1, 1), EXPIRY_PASSED),
        (notice("expiry_reminder", lead_days=30, expires_on=None), date(2026, 3, 16), None),
        # Only reminders are judged by the expiry: the expiry notice is due on it.
        (notice("support_expired", expires_on="2026-03-15"), date(2026, 3, 16), None),
        (notice("support_started"), date(2026, 3, 1), None),  # due in the future: never stale
        (notice("support_started"), date(2026, 3, 22), None),
        (notice("support_started"), date(2026, 3, 23), TOO_OLD),
        ({**notice("support_started"), "due_on": "2026-02-30"}, date(2030, 1, 1), None),  # left to the renderer
    ],
)
def test_staleness(document: dict[str, object], today: date, reason: str | None) -> None:
    stale = staleness(document, today, MAX_AGE)

    assert (stale.reason if stale else None) == reason
