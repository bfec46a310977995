"""A dead letter published whose ledger record failed: the retry records it, and publishes no second letter."""

from __future__ import annotations

from typing import Any

import pytest
from fake_deadletters import FakeDeadLetters
from notifier_fakes import PERMANENT, FakeClock, FakeLedger, FakeRecord, FakeTransport
from notifier_samples import notice

from consumers.notifier.delivery_errors import DeliveryUnknownError
from consumers.notifier.handler import NoticeHandler, Outcome, RetryLaterError
from consumers.notifier.published_letters import PublishedLetters
from consumers.notifier.render import NoticeRenderer
from consumers.notifier.unconfirmed import UNCONFIRMED

LOST = DeliveryUnknownError("the SMTP server did not confirm delivery after DATA (TimeoutError: timed out)")


def _handler(transport: FakeTransport, ledger: FakeLedger, letters: FakeDeadLetters) -> NoticeHandler:
    return NoticeHandler(
        NoticeRenderer(), transport, ledger, letters, "support@example.com", max_age_days=7, now=FakeClock()
    )


def _no_recipient() -> dict[str, Any]:
    document = notice("support_started")
    del document["data"]["recipient"]
    return document


@pytest.mark.parametrize(
    ("document", "failures", "reason"),
    [
        (notice("support_started"), [LOST], UNCONFIRMED),
        (notice("support_started"), [PERMANENT, PERMANENT], "delivery refused"),  # refused again if resent
        (_no_recipient(), [], "no recipient address"),
    ],
    ids=["delivery-unknown", "refused", "no-recipient"],
)
def test_a_letter_whose_record_failed_is_recorded_on_the_retry_not_published_again(
    ledger: FakeLedger, document: dict[str, Any], failures: list[Exception], reason: str
) -> None:
    transport, letters = FakeTransport(failures=list(failures)), FakeDeadLetters()
    handler = _handler(transport, ledger, letters)
    record = FakeRecord.of(document)
    ledger.outages_on_record = 1  # PostgreSQL goes away after the letter went out

    with pytest.raises(RetryLaterError, match="PostgreSQL"):
        handler.handle(record)
    assert handler.handle(record) is Outcome.DEAD_LETTERED

    assert [letter.split(":")[0] for _, letter in letters.records] == [reason]
    assert ledger.rows[document["notice_id"]]["status"] == "dead_lettered"
    assert ledger.rows[document["notice_id"]]["last_error"] == letters.records[0][1]
    assert transport.sent == []
    assert transport.failures == failures[1:]  # tried once at most, never again


def test_a_redriven_copy_of_a_notice_whose_letter_went_unrecorded_is_sent(ledger: FakeLedger) -> None:
    document = notice("support_started")
    transport, letters = FakeTransport(failures=[PERMANENT]), FakeDeadLetters()
    handler = _handler(transport, ledger, letters)
    ledger.outages_on_record = 1
    with pytest.raises(RetryLaterError):
        handler.handle(FakeRecord.of(document, offset=3))  # then its partition went to another notifier

    assert handler.handle(FakeRecord.of(document, offset=9)) is Outcome.SENT  # a copy, once the relay is fixed
    assert len(transport.sent) == 1
    assert len(letters.records) == 1


def test_letters_remembered_are_bounded_the_oldest_forgotten() -> None:
    letters = PublishedLetters(limit=2)
    records = [FakeRecord.of(notice("support_started"), offset) for offset in range(3)]
    for offset, record in enumerate(records):
        letters.remember(record, f"reason {offset}")

    assert [letters.reason(record) for record in records] == [None, "reason 1", "reason 2"]
    letters.forget(records[1])
    assert letters.reason(records[1]) is None
