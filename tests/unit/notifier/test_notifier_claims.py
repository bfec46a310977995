"""Two notifiers that read one notice (a rebalance mid-send): the one whose claim runs sends it, the other waits."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from fake_deadletters import FakeDeadLetters
from notifier_fakes import FakeClock, FakeLedger, FakeRecord, FakeTransport
from notifier_samples import notice

from consumers.notifier.delivery import SmtpTransport
from consumers.notifier.delivery_errors import DeliveryUnknownError
from consumers.notifier.handler import NoticeHandler, Outcome, RetryLaterError
from consumers.notifier.ledger import PostgresLedger
from consumers.notifier.ledger_port import LedgerEntry
from consumers.notifier.render import NoticeRenderer
from consumers.notifier.smtp_client import STEP_TIMEOUT
from lifecycle.redrive_audit import HEADER as REDRIVE_HEADER
from lifecycle.settings import Settings


def _handler(transport: FakeTransport, ledger: FakeLedger) -> NoticeHandler:
    return NoticeHandler(
        NoticeRenderer(), transport, ledger, FakeDeadLetters(), "support@example.com", max_age_days=7, now=FakeClock()
    )


class SlowTransport(FakeTransport):
    """Sends as a slow server does: while the message is on its way, `meanwhile` runs (the other notifier)."""

    def __init__(self) -> None:
        super().__init__()
        self.meanwhile: list[Callable[[], Outcome]] = []
        self.seen_meanwhile: list[Outcome | Exception] = []

    def send(self, notice_id: str, message: EmailMessage) -> None:
        for step in self.meanwhile:
            try:
                self.seen_meanwhile.append(step())
            except RetryLaterError as exc:
                self.seen_meanwhile.append(exc)
        super().send(notice_id, message)


def test_a_notice_another_notifier_is_sending_is_parked_not_held_and_sent_once() -> None:
    rows: dict[str, dict[str, Any]] = {}
    document = notice("support_started")
    record = FakeRecord.of(document)
    slow, other_transport = SlowTransport(), FakeTransport()
    first = _handler(slow, FakeLedger(rows=rows, owner="notifier-a"))
    second_ledger = FakeLedger(rows=rows, owner="notifier-b")
    second = _handler(other_transport, second_ledger)
    slow.meanwhile.append(lambda: second.handle(record))  # the partition moved to the second mid-send

    assert first.handle(record) is Outcome.SENT

    # The second parks it (its offset commits, the notices behind it go on) rather than hold its partitions.
    assert slow.seen_meanwhile == [Outcome.DEFERRED]
    assert rows[document["notice_id"]]["status"] == "sent"  # the first recorded the send over the park
    assert second_ledger.take_due(FakeClock().at + timedelta(days=1), 10) == []  # nothing left to send
    assert second.handle(record) is Outcome.DUPLICATE  # read again: done
    assert (len(slow.sent), other_transport.sent) == (1, [])


def test_a_notice_whose_holder_died_while_parked_is_sent_by_a_round_once_its_claim_ran_out() -> None:
    rows: dict[str, dict[str, Any]] = {}
    document = notice("support_started")
    FakeLedger(rows=rows, owner="notifier-a", lease=timedelta(seconds=0.2)).begin(document)  # then killed
    ledger, transport = FakeLedger(rows=rows, owner="notifier-b"), FakeTransport()
    handler = _handler(transport, ledger)

    assert handler.handle(FakeRecord.of(document)) is Outcome.DEFERRED
    later = FakeClock().at + timedelta(minutes=5)
    assert ledger.take_due(later, 10) == []  # the dead one's claim still runs
    time.sleep(0.25)
    (parked,) = ledger.take_due(later, 10)

    assert handler.handle(parked) is Outcome.SENT
    assert len(transport.sent) == 1


def test_a_notice_whose_notifier_died_holding_it_is_sent_once_its_lease_ran_out() -> None:
    rows: dict[str, dict[str, Any]] = {}
    document = notice("support_started")
    FakeLedger(rows=rows, owner="notifier-a", lease=timedelta(0)).begin(document)  # then the process was killed
    transport = FakeTransport()

    assert _handler(transport, FakeLedger(rows=rows, owner="notifier-b")).handle(FakeRecord.of(document)) is (
        Outcome.SENT
    )
    assert len(transport.sent) == 1


def test_a_stale_notice_another_notifier_holds_is_not_judged_under_its_claim() -> None:
    rows: dict[str, dict[str, Any]] = {}
    document = notice("support_started")
    FakeLedger(rows=rows, owner="notifier-a").begin(document)
    handler = _handler(FakeTransport(), FakeLedger(rows=rows, owner="notifier-b"))
    handler.now = FakeClock(FakeClock().at + timedelta(days=30))

    assert handler.handle(FakeRecord.of(document)) is Outcome.DEFERRED  # parked, not skipped as stale
    assert rows[document["notice_id"]]["status"] == "deferred"


def test_each_postgres_ledger_claims_as_a_notifier_of_its_own() -> None:
    first, second = PostgresLedger("postgresql://ledger.invalid/x"), PostgresLedger("postgresql://ledger.invalid/x")

    assert first.owner != second.owner
    assert f":{os.getpid()}:" in first.owner  # host:pid:random, to find the process in the ledger


def test_the_claim_is_reckoned_with_the_step_timeout_the_transport_uses() -> None:
    assert SmtpTransport(Settings.from_env({}).replace(smtp_host="mail.invalid"))._timeout == STEP_TIMEOUT


def test_a_notice_read_again_as_a_duplicate_lets_its_claim_go_for_a_redriven_copy_elsewhere() -> None:
    rows: dict[str, dict[str, Any]] = {}
    document = notice("support_started")
    unsure = FakeTransport()
    unsure.failures.append(DeliveryUnknownError("no reply to the data"))
    first = _handler(unsure, FakeLedger(rows=rows, owner="notifier-a"))
    assert first.handle(FakeRecord.of(document)) is Outcome.DEAD_LETTERED  # set aside: it may have been delivered
    assert first.handle(FakeRecord.of(document)) is Outcome.DUPLICATE  # read again after a restart: not sent

    transport = FakeTransport()
    redriven = FakeRecord.of(document)
    redriven.headers.append((REDRIVE_HEADER, b"deadletter/0/0"))
    second = _handler(transport, FakeLedger(rows=rows, owner="notifier-b"))

    assert second.handle(redriven) is Outcome.SENT  # at once, not after the first one's lease
    assert len(transport.sent) == 1


def test_a_notice_its_holder_dead_letters_just_after_it_is_read_is_not_brought_back_by_a_park() -> None:
    rows: dict[str, dict[str, Any]] = {}
    document = notice("support_started")
    holder = FakeLedger(rows=rows, owner="notifier-a")
    holder.begin(document)

    class RacingLedger(FakeLedger):
        def begin(self, notice: Mapping[str, Any]) -> LedgerEntry:
            entry = super().begin(notice)
            holder.record_dead_letter(notice["notice_id"], "delivery unknown: …")  # between this read and the park
            return entry

    transport = FakeTransport()
    handler = _handler(transport, RacingLedger(rows=rows, owner="notifier-b"))

    with pytest.raises(RetryLaterError, match="just let go by notifier-a"):
        handler.handle(FakeRecord.of(document))
    assert rows[document["notice_id"]]["status"] == "dead_lettered"  # not parked again, to be sent by a round
    assert transport.sent == []
