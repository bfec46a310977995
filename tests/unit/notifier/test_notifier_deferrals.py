"""A notice the server defers, or may have taken without saying so: dead-lettered in bounded time, others go on."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import pytest
from fake_deadletters import FakeDeadLetters
from kafka import TopicPartition
from notifier_fakes import FakeClock, FakeLedger, FakeRecord, FakeTransport
from notifier_samples import notice

from consumers.kafka_loop import Backoff, run_batches
from consumers.notifier.app import Notifier
from consumers.notifier.delivery_errors import DeferredDeliveryError, DeliveryUnknownError
from consumers.notifier.handler import DEFERRED, UNCONFIRMED, NoticeHandler, Outcome, RetryLaterError
from consumers.notifier.render import NoticeRenderer

TRIES = 3
PARTITION = TopicPartition("t.notices", 0)
MOST_POLLS = 100


class DeferringTransport(FakeTransport):
    """Defers every message to one address, as a full mailbox does; sends the rest."""

    def send(self, notice_id: str, message: EmailMessage) -> None:
        if "full@example.com" in str(message["To"]):
            raise DeferredDeliveryError("recipient deferred: f***@example.com: 452 4.2.2 mailbox full")
        super().send(notice_id, message)


class Consumer:
    """One partition polled once; pauses, resumes and commits as kafka-python's consumer does."""

    def __init__(self, records: list[FakeRecord], stop: threading.Event) -> None:
        self.polls: list[dict[TopicPartition, Any]] = [{PARTITION: records}]
        self.stop, self.commits, self.paused_set, self.count = stop, list[int](), set[TopicPartition](), 0

    def subscription(self) -> set[str]:
        return {PARTITION.topic}

    def partitions_for_topic(self, topic: str) -> set[int]:
        return {0}

    def assignment(self) -> set[TopicPartition]:
        return {PARTITION}

    def pause(self, *partitions: TopicPartition) -> None:
        self.paused_set.update(partitions)

    def resume(self, *partitions: TopicPartition) -> None:
        self.paused_set.difference_update(partitions)

    def paused(self) -> set[TopicPartition]:
        return set(self.paused_set)

    def poll(self, timeout_ms: int = 0, max_records: int | None = None) -> dict[TopicPartition, Any]:
        self.count += 1
        if self.count > MOST_POLLS:
            self.stop.set()  # retried without end: the test fails on the commits
        return self.polls.pop(0) if self.polls and not self.paused_set else {}

    def commit(self, offsets: Any) -> None:
        self.commits.append(offsets[PARTITION].offset)
        self.stop.set()


def _handler(transport: FakeTransport, ledger: FakeLedger, dead_letters: FakeDeadLetters) -> NoticeHandler:
    return NoticeHandler(
        NoticeRenderer(),
        transport,
        ledger,
        dead_letters,
        "support@example.com",
        max_age_days=7,
        defer_attempts=TRIES,
        now=FakeClock(),
    )


def test_a_deferred_notice_is_dead_lettered_after_its_tries_and_the_ones_behind_it_are_sent(
    ledger: FakeLedger, dead_letters: FakeDeadLetters
) -> None:
    deferred = notice("support_started", recipient={"email": "full@example.com", "name": "Full"})
    deferred["notice_id"] = "deferred"
    good = [notice("support_started") | {"notice_id": f"good-{i}", "serial": f"SN-{i}"} for i in range(3)]
    records = [FakeRecord.of(document, offset) for offset, document in enumerate([deferred, *good])]
    transport, stop = DeferringTransport(), threading.Event()
    consumer = Consumer(records, stop)
    notifier = object.__new__(Notifier)  # the batch handling alone, without Kafka or PostgreSQL clients
    notifier.handler, notifier._handled = _handler(transport, ledger, dead_letters), set()

    run_batches(consumer, notifier.handle_batch, stop=stop, transient=(RetryLaterError,), backoff=Backoff(0, 0))

    assert consumer.commits == [len(records)]
    assert [str(message["To"]) for message in transport.sent] == ["Pat Customer <pat@example.com>"] * len(good)
    row = ledger.rows["deferred"]
    assert (row["status"], row["attempts"]) == ("dead_lettered", TRIES)
    ((_, reason),) = dead_letters.records
    assert reason.startswith(f"{DEFERRED}: deferred {TRIES} times, last: recipient deferred: ")
    assert "452 4.2.2 mailbox full" in reason
    assert "redrive once the recipient's mailbox or domain accepts" in reason
    assert "full@example.com" not in reason


def test_a_deferral_within_its_tries_is_retried_later(ledger: FakeLedger, dead_letters: FakeDeadLetters) -> None:
    deferred = notice("support_started", recipient={"email": "full@example.com", "name": "Full"})
    handler = _handler(DeferringTransport(), ledger, dead_letters)

    for _ in range(TRIES - 1):
        try:
            handler.handle(FakeRecord.of(deferred))
        except RetryLaterError:
            continue
        raise AssertionError("a deferral within its tries must be retried")

    assert ledger.rows[deferred["notice_id"]]["status"] == "retrying"
    assert handler.handle(FakeRecord.of(deferred)) is Outcome.DEAD_LETTERED


def test_a_message_the_server_may_have_taken_is_dead_lettered_as_unknown_not_retried(
    ledger: FakeLedger, dead_letters: FakeDeadLetters
) -> None:
    lost = DeliveryUnknownError("the SMTP server did not confirm delivery after DATA (TimeoutError: timed out)")
    transport = FakeTransport(failures=[lost])
    document = notice("support_started")

    assert _handler(transport, ledger, dead_letters).handle(FakeRecord.of(document)) is Outcome.DEAD_LETTERED

    ((_, reason),) = dead_letters.records
    assert reason == (
        f"{UNCONFIRMED}: the SMTP server did not confirm delivery after DATA (TimeoutError: timed out); "
        "it may have been delivered; redrive to send it again"
    )
    assert ledger.rows[document["notice_id"]]["status"] == "dead_lettered"
    assert ledger.rows[document["notice_id"]]["last_error"] == reason


@pytest.mark.parametrize(
    ("now", "subject", "sentence"),
    [
        (datetime(2026, 3, 20, 23, 0, tzinfo=UTC), "2 days left: ", "has 2 days left: it ends on March 21, 2026"),
        (datetime(2026, 3, 21, 0, 5, tzinfo=UTC), "1 day left: ", "has 1 day left (today): it ends on March 21, 2026"),
    ],
)
def test_a_late_reminder_says_the_days_actually_left(
    now: datetime,
    subject: str,
    sentence: str,
    transport: FakeTransport,
    ledger: FakeLedger,
    dead_letters: FakeDeadLetters,
) -> None:
    reminder = notice("expiry_reminder", lead_days=7, expires_on="2026-03-22")  # the last day: 2026-03-21
    reminder["due_on"] = "2026-03-15"
    handler = _handler(transport, ledger, dead_letters)
    handler.now = FakeClock(now)

    assert handler.handle(FakeRecord.of(reminder)) is Outcome.SENT

    (message,) = transport.sent
    assert str(message["Subject"]).startswith(subject)
    for part in ("plain", "html"):
        body = message.get_body((part,))
        assert body is not None
        assert sentence in body.get_content().replace("<strong>", "").replace("</strong>", "")
