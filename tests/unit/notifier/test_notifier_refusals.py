"""Notice data no email can be made of, though the contract lets it through: a dead letter or a skip, never a crash."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fake_deadletters import FakeDeadLetters
from kafka import TopicPartition
from notifier_fakes import FakeClock, FakeLedger, FakeRecord, FakeTransport
from notifier_samples import notice

import schemas
from consumers.kafka_loop import Backoff, run_batches
from consumers.notifier.app import Notifier
from consumers.notifier.freshness import EXPIRY_PASSED
from consumers.notifier.handler import NoticeHandler, Outcome, RetryLaterError
from consumers.notifier.render import NoticeRenderer
from schemas.codec import SCHEMA_VERSION

# Addresses the registration contract accepts that are not one plain mailbox (local@domain).
ODD_ADDRESSES = ["<pat@example.com>", "pat@example.com.", "(pat@example.com", "pat@["]


def _handler(transport: FakeTransport, ledger: FakeLedger, dead_letters: FakeDeadLetters) -> NoticeHandler:
    return NoticeHandler(
        NoticeRenderer(), transport, ledger, dead_letters, "support@example.com", max_age_days=7, now=FakeClock()
    )


def _with_address(address: str, kind: str = "support_started") -> dict[str, Any]:
    document = notice(kind)
    document["data"]["recipient"]["email"] = address
    document["notice_id"] = f"{kind}:{address}"
    return document


@pytest.mark.parametrize("address", ODD_ADDRESSES)
def test_an_address_that_is_not_one_plain_mailbox_is_dead_lettered_once_with_a_masked_reason(
    address: str, transport: FakeTransport, ledger: FakeLedger, dead_letters: FakeDeadLetters
) -> None:
    registration = {
        "event_id": "reg-1",
        "type": "registration",
        "schema_version": 1,
        "occurred_at": "2023-02-07T22:06:37Z",
        "source": "registration-site",
        "account_id": "acct-1",
        "serial": "SN-1",
        "contact": {"email": address, "name": "Pat"},
    }
    schemas.validate("registration", registration)  # the contract passes it on into notices
    document = _with_address(address)

    assert _handler(transport, ledger, dead_letters).handle(FakeRecord.of(document)) is Outcome.DEAD_LETTERED

    ((_, reason),) = dead_letters.records
    assert reason.startswith("cannot render notice: recipient.email: ")
    assert "\n" not in reason
    assert "pat@example.com" not in reason
    assert "pat@[" not in reason
    row = ledger.rows[document["notice_id"]]
    assert (row["status"], row["last_error"]) == ("dead_lettered", reason)
    assert transport.sent == []


def test_a_batch_with_an_odd_address_is_handled_through_and_committed(
    transport: FakeTransport, ledger: FakeLedger, dead_letters: FakeDeadLetters
) -> None:
    partition = TopicPartition("t.notices", 0)
    odd = [_with_address(address, "support_expired") for address in ODD_ADDRESSES]
    records = [FakeRecord.of(document, offset) for offset, document in enumerate([*odd, notice("support_started")])]
    stop = threading.Event()
    commits: list[Any] = []

    class Consumer:
        polls = [{partition: records}]

        def subscription(self) -> set[str]:
            return {partition.topic}

        def partitions_for_topic(self, topic: str) -> set[int]:
            return {0}

        def assignment(self) -> set[TopicPartition]:
            return {partition}

        def poll(self, timeout_ms: int = 0, max_records: int | None = None) -> dict[TopicPartition, Any]:
            return self.polls.pop(0) if self.polls else {}

        def commit(self, offsets: Any) -> None:
            commits.append(offsets)
            stop.set()

    notifier = object.__new__(Notifier)  # the batch handling alone, without Kafka or PostgreSQL clients
    notifier.handler, notifier._handled = _handler(transport, ledger, dead_letters), set()

    run_batches(Consumer(), notifier.handle_batch, stop=stop, transient=(RetryLaterError,), backoff=Backoff())

    assert [offsets[partition].offset for offsets in commits] == [len(records)]
    assert len(dead_letters.records) == len(ODD_ADDRESSES)
    assert len(transport.sent) == 1


def test_a_reminder_expiring_on_the_first_day_of_the_calendar_is_skipped_as_past(
    transport: FakeTransport, ledger: FakeLedger, dead_letters: FakeDeadLetters
) -> None:
    document = notice("expiry_reminder", lead_days=30)
    document["data"]["expires_on"] = "0001-01-01"

    assert _handler(transport, ledger, dead_letters).handle(FakeRecord.of(document)) is Outcome.SKIPPED

    row = ledger.rows[document["notice_id"]]
    assert (row["status"], row["skip_reason"]) == ("skipped", EXPIRY_PASSED)
    assert row["last_error"] == "support ended on 0001-01-01; today is 2026-03-15"
    assert transport.sent == []
    assert dead_letters.records == []


def test_a_notice_naming_the_day_before_the_first_day_of_the_calendar_is_a_render_error(
    transport: FakeTransport, ledger: FakeLedger, dead_letters: FakeDeadLetters
) -> None:
    document = notice("support_expired")
    document["data"]["expires_on"] = "0001-01-01"

    assert _handler(transport, ledger, dead_letters).handle(FakeRecord.of(document)) is Outcome.DEAD_LETTERED

    ((_, reason),) = dead_letters.records
    assert reason == "cannot render notice: support_expired: '0001-01-01' has no day before it"


@pytest.mark.parametrize("version", [SCHEMA_VERSION + 1, 99])
def test_a_notice_of_a_newer_schema_version_is_set_aside_never_mailed(
    version: int, transport: FakeTransport, ledger: FakeLedger, dead_letters: FakeDeadLetters
) -> None:
    document = notice("support_started")
    document["schema_version"] = version
    document["data"]["a_field_of_the_new_version"] = {"means": "something new"}

    assert _handler(transport, ledger, dead_letters).handle(FakeRecord.of(document)) is Outcome.DEAD_LETTERED

    ((_, reason),) = dead_letters.records
    assert reason == (
        f"notice schema_version {version} is newer than this pipeline understands (the notifier knows "
        f"{SCHEMA_VERSION}): upgrade the notifier, then `lifecycle redrive --reason 'newer than this pipeline "
        "understands'`"
    )
    assert transport.sent == []
    assert ledger.rows == {}


def test_a_newer_schema_version_is_refused_before_the_fields_it_may_have_changed(
    transport: FakeTransport, ledger: FakeLedger, dead_letters: FakeDeadLetters
) -> None:
    document = notice("support_started")
    document["schema_version"] = SCHEMA_VERSION + 1
    del document["due_on"]  # invalid as version 1, perhaps not as version 2

    assert _handler(transport, ledger, dead_letters).handle(FakeRecord.of(document)) is Outcome.DEAD_LETTERED

    ((_, reason),) = dead_letters.records
    assert reason.startswith(f"notice schema_version {SCHEMA_VERSION + 1} is newer")


@pytest.mark.parametrize("version", [None, 1])
def test_a_notice_of_version_1_or_none_is_still_mailed(
    version: int | None, transport: FakeTransport, ledger: FakeLedger, dead_letters: FakeDeadLetters
) -> None:
    document = notice("support_started")
    document.pop("schema_version", None)
    if version is not None:
        document["schema_version"] = version

    assert _handler(transport, ledger, dead_letters).handle(FakeRecord.of(document)) is Outcome.SENT
    assert len(transport.sent) == 1
    assert dead_letters.records == []
