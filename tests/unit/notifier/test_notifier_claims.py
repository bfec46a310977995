"""Two notifiers that read one notice (a rebalance mid-send): the one whose claim runs sends it, the other waits."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from fake_deadletters import FakeDeadLetters
from notifier_fakes import FakeClock, FakeLedger, FakeRecord, FakeTransport
from notifier_samples import notice

from consumers.notifier.delivery import SmtpTransport
from consumers.notifier.handler import NoticeHandler, Outcome, RetryLaterError
from consumers.notifier.ledger import PostgresLedger
from consumers.notifier.render import NoticeRenderer
from consumers.notifier.smtp_client import STEP_TIMEOUT
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


def test_a_notice_another_notifier_is_sending_is_retried_later_and_sent_once() -> None:
    rows: dict[str, dict[str, Any]] = {}
    document = notice("support_started")
    record = FakeRecord.of(document)
    slow, other_transport = SlowTransport(), FakeTransport()
    first = _handler(slow, FakeLedger(rows=rows, owner="notifier-a"))
    second = _handler(other_transport, FakeLedger(rows=rows, owner="notifier-b"))
    slow.meanwhile.append(lambda: second.handle(record))  # the partition moved to the second mid-send

    assert first.handle(record) is Outcome.SENT

    (refused,) = slow.seen_meanwhile
    assert isinstance(refused, RetryLaterError)
    assert str(refused) == f"notice {document['notice_id']} is being delivered by notifier-a; retried later"
    assert second.handle(record) is Outcome.DUPLICATE  # its retry, once the first recorded the send
    assert (len(slow.sent), other_transport.sent) == (1, [])


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

    with pytest.raises(RetryLaterError, match="being delivered by notifier-a"):
        handler.handle(FakeRecord.of(document))
    assert rows[document["notice_id"]]["status"] == "pending"


def test_each_postgres_ledger_claims_as_a_notifier_of_its_own() -> None:
    first, second = PostgresLedger("postgresql://ledger.invalid/x"), PostgresLedger("postgresql://ledger.invalid/x")

    assert first.owner != second.owner
    assert f":{os.getpid()}:" in first.owner  # host:pid:random, to find the process in the ledger


def test_the_claim_is_reckoned_with_the_step_timeout_the_transport_uses() -> None:
    assert SmtpTransport(Settings.from_env({}).replace(smtp_host="mail.invalid"))._timeout == STEP_TIMEOUT
