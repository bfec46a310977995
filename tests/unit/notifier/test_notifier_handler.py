"""The notice handler with in-memory ports: sent once, retried when temporary, dead-lettered when hopeless."""

from __future__ import annotations

import pytest
from fake_deadletters import FakeDeadLetters
from notifier_fakes import PERMANENT, TRANSIENT, FakeClock, FakeLedger, FakeRecord, FakeTransport
from notifier_samples import notice
from prometheus_client import REGISTRY

from consumers.notifier.handler import NoticeHandler, Outcome, RetryLaterError
from consumers.notifier.render import NoticeRenderer


def _delivered(kind: str) -> float:
    labels = {"kind": kind, "transport": "smtp"}
    return REGISTRY.get_sample_value("lifecycle_notices_delivered_total", labels) or 0.0


@pytest.fixture
def handler(transport: FakeTransport, ledger: FakeLedger, dead_letters: FakeDeadLetters) -> NoticeHandler:
    clock = FakeClock()  # the day the sample notices are due: fresh
    return NoticeHandler(
        NoticeRenderer(), transport, ledger, dead_letters, "support@example.com", max_age_days=7, now=clock
    )


def test_a_notice_is_sent_and_recorded(handler: NoticeHandler, transport: FakeTransport, ledger: FakeLedger) -> None:
    document = notice("support_started")
    before = _delivered("support_started")

    assert handler.handle(FakeRecord.of(document)) is Outcome.SENT

    assert _delivered("support_started") == before + 1

    assert len(transport.sent) == 1
    assert transport.sent[0]["To"] == "Pat Customer <pat@example.com>"
    row = ledger.rows[document["notice_id"]]
    assert row["status"] == "sent"
    assert row["attempts"] == 1
    assert row["message_id"] == transport.sent[0]["Message-ID"]


def test_a_redelivered_notice_is_sent_once(handler: NoticeHandler, transport: FakeTransport) -> None:
    record = FakeRecord.of(notice("expiry_reminder"))

    outcomes = [handler.handle(record), handler.handle(record)]

    assert outcomes == [Outcome.SENT, Outcome.DUPLICATE]
    assert len(transport.sent) == 1


def test_no_recipient_goes_to_dead_letters(
    handler: NoticeHandler, transport: FakeTransport, ledger: FakeLedger, dead_letters: FakeDeadLetters
) -> None:
    document = notice("support_started")
    del document["data"]["recipient"]

    assert handler.handle(FakeRecord.of(document)) is Outcome.DEAD_LETTERED

    assert [reason for _, reason in dead_letters.records] == ["no recipient address"]
    assert ledger.rows[document["notice_id"]]["status"] == "dead_lettered"
    assert transport.sent == []


def test_a_render_failure_goes_to_dead_letters(
    handler: NoticeHandler, dead_letters: FakeDeadLetters, transport: FakeTransport
) -> None:
    document = notice("renewal_confirmed")
    del document["data"]["new_expires_on"]

    assert handler.handle(FakeRecord.of(document)) is Outcome.DEAD_LETTERED

    ((_, reason),) = dead_letters.records
    assert reason.startswith("cannot render notice: renewal_confirmed")
    assert "new_expires_on" in reason
    assert transport.sent == []


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"not json", "invalid notice: not JSON"),
        (b"[1]", "invalid notice: (document): expected a JSON object"),
        (b'{"notice_id": "n"}', "invalid notice:"),
        (None, "invalid notice: (document): empty message"),
    ],
)
def test_an_invalid_message_goes_to_dead_letters(
    handler: NoticeHandler, dead_letters: FakeDeadLetters, raw: bytes | None, reason: str
) -> None:
    assert handler.handle(FakeRecord(value=raw)) is Outcome.DEAD_LETTERED

    ((_, actual),) = dead_letters.records
    assert actual.startswith(reason)


def test_a_temporary_failure_asks_for_a_retry_then_succeeds(
    handler: NoticeHandler, transport: FakeTransport, ledger: FakeLedger, dead_letters: FakeDeadLetters
) -> None:
    document = notice("support_expired")
    transport.failures.append(TRANSIENT)
    record = FakeRecord.of(document)

    with pytest.raises(RetryLaterError, match="451"):
        handler.handle(record)
    assert ledger.rows[document["notice_id"]]["status"] == "retrying"

    assert handler.handle(record) is Outcome.SENT
    assert ledger.rows[document["notice_id"]]["attempts"] == 2
    assert len(transport.sent) == 1
    assert dead_letters.records == []


def test_a_permanent_failure_goes_to_dead_letters(
    handler: NoticeHandler, transport: FakeTransport, ledger: FakeLedger, dead_letters: FakeDeadLetters
) -> None:
    document = notice("ppi_added", "home")
    transport.failures.append(PERMANENT)

    assert handler.handle(FakeRecord.of(document)) is Outcome.DEAD_LETTERED

    ((_, reason),) = dead_letters.records
    assert reason == "delivery refused: SMTP 550 no such user"
    assert ledger.rows[document["notice_id"]]["status"] == "dead_lettered"
    transport.failures.append(PERMANENT)  # still refused when it comes again: a second dead letter, not a send
    assert handler.handle(FakeRecord.of(document)) is Outcome.DEAD_LETTERED
    assert transport.sent == []


def test_an_unreachable_ledger_asks_for_a_retry(
    handler: NoticeHandler, transport: FakeTransport, ledger: FakeLedger
) -> None:
    ledger.available = False

    with pytest.raises(RetryLaterError, match="PostgreSQL"):
        handler.handle(FakeRecord.of(notice("support_started")))
    assert transport.sent == []


def test_a_notice_sent_while_the_ledger_is_away_is_recorded_on_retry_not_sent_again(
    handler: NoticeHandler, transport: FakeTransport, ledger: FakeLedger
) -> None:
    document = notice("support_started")
    record = FakeRecord.of(document)
    ledger.outages_on_record = 1

    with pytest.raises(RetryLaterError, match="PostgreSQL"):
        handler.handle(record)
    assert handler.handle(record) is Outcome.SENT

    assert len(transport.sent) == 1
    assert ledger.rows[document["notice_id"]]["status"] == "sent"
    assert handler.handle(record) is Outcome.DUPLICATE


def test_a_notice_the_ledger_refuses_goes_to_dead_letters(
    handler: NoticeHandler, transport: FakeTransport, ledger: FakeLedger, dead_letters: FakeDeadLetters
) -> None:
    ledger.reject = True

    assert handler.handle(FakeRecord.of(notice("support_started"))) is Outcome.DEAD_LETTERED

    ((_, reason),) = dead_letters.records
    assert reason.startswith("invalid notice: the delivery ledger refused it: A string literal cannot contain NUL")
    assert transport.sent == []


def test_a_dead_lettered_notice_that_comes_again_is_sent_once_it_can_be(
    handler: NoticeHandler, transport: FakeTransport, ledger: FakeLedger, dead_letters: FakeDeadLetters
) -> None:
    document = notice("expiry_reminder")
    transport.failures.append(PERMANENT)  # e.g. a misconfigured relay refusing everything
    assert handler.handle(FakeRecord.of(document)) is Outcome.DEAD_LETTERED

    # Sent back by `lifecycle redrive` once the relay is fixed; a third copy is a duplicate.
    assert handler.handle(FakeRecord.of(document)) is Outcome.SENT
    assert handler.handle(FakeRecord.of(document)) is Outcome.DUPLICATE
    assert len(transport.sent) == 1
    assert len(dead_letters.records) == 1
    assert ledger.rows[document["notice_id"]]["status"] == "sent"
