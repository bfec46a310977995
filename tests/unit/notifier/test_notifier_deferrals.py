"""A notice the server defers, or may have taken without saying so: dead-lettered in bounded time, others go on."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from fake_deadletters import FakeDeadLetters
from kafka import TopicPartition
from notifier_fakes import FakeClock, FakeLedger, FakeRecord, FakeTransport
from notifier_samples import notice

from consumers.kafka_loop import Backoff, run_batches
from consumers.notifier.app import Notifier
from consumers.notifier.deferrals import DEFERRED
from consumers.notifier.delivery_errors import DeferredDeliveryError, DeliveryUnknownError, TransientDeliveryError
from consumers.notifier.handler import NoticeHandler, Outcome, RetryLaterError
from consumers.notifier.render import NoticeRenderer
from consumers.notifier.unconfirmed import UNCONFIRMED
from lifecycle.redrive_audit import HEADER as REDRIVE_HEADER

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


def _handler(transport: FakeTransport, ledger: FakeLedger, dead_letters: Any, minutes: float = 0) -> NoticeHandler:
    return NoticeHandler(
        NoticeRenderer(),
        transport,
        ledger,
        dead_letters,
        "support@example.com",
        max_age_days=7,
        defer_attempts=TRIES,
        defer_minutes=minutes,
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
    assert reason.startswith(f"{DEFERRED}: deferred {TRIES} times over 0 min, last: recipient deferred: ")
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


def _tries(handler: NoticeHandler, document: dict[str, Any], times: int) -> list[Outcome | str]:
    outcomes: list[Outcome | str] = []
    for _ in range(times):
        try:
            outcomes.append(handler.handle(FakeRecord.of(document)))
        except RetryLaterError:
            outcomes.append("retry")
    return outcomes


def test_a_deferral_is_retried_for_its_minutes_however_many_tries_come_sooner(
    ledger: FakeLedger, dead_letters: FakeDeadLetters
) -> None:
    greylisted = notice("support_started", recipient={"email": "full@example.com", "name": "Full"})
    handler = _handler(DeferringTransport(), ledger, dead_letters, minutes=15)
    clock = FakeClock()
    handler.now = clock
    assert _tries(handler, greylisted, TRIES * 3) == ["retry"] * TRIES * 3  # seconds apart: greylisting waits
    clock.at += timedelta(minutes=15)
    assert _tries(handler, greylisted, 1) == [Outcome.DEAD_LETTERED]
    ((_, reason),) = dead_letters.records
    assert reason.startswith(f"{DEFERRED}: deferred {TRIES * 3 + 1} times over 15 min, last: ")


def test_failures_of_the_server_do_not_count_as_deferrals(ledger: FakeLedger, dead_letters: FakeDeadLetters) -> None:
    outage = [TransientDeliveryError("SMTP connection failed: ConnectionRefusedError")] * (TRIES + 2)
    transport = FakeTransport(failures=[*outage, DeferredDeliveryError("recipient deferred: 450 4.7.1 greylisted")])
    document = notice("support_started")
    handler = _handler(transport, ledger, dead_letters)
    assert _tries(handler, document, TRIES + 3) == ["retry"] * (TRIES + 3)  # the first deferral is one of TRIES
    assert _tries(handler, document, 1) == [Outcome.SENT]
    assert dead_letters.records == []


class FailingOnce(FakeDeadLetters):
    """A dead-letter topic that refuses the first letter (the broker away)."""

    def send(self, record: Any, reason: str) -> None:
        if not getattr(self, "failed", False):
            self.failed = True
            raise RetryLaterError("dead-letter topic unavailable")
        super().send(record, reason)


def test_a_message_the_server_may_have_taken_is_never_sent_again_while_its_letter_waits(ledger: FakeLedger) -> None:
    lost = DeliveryUnknownError("the SMTP server did not confirm delivery after DATA (TimeoutError: timed out)")
    transport, letters = FakeTransport(failures=[lost]), FailingOnce()
    document = notice("support_started")
    handler = _handler(transport, ledger, letters)
    assert _tries(handler, document, 2) == ["retry", Outcome.DEAD_LETTERED]
    assert transport.sent == []  # the retry published and recorded the letter; it did not send the email
    assert ledger.rows[document["notice_id"]]["status"] == "dead_lettered"
    assert [reason.split(":")[0] for _, reason in letters.records] == [UNCONFIRMED]


def test_the_day_judged_fresh_is_the_day_the_email_names(
    transport: FakeTransport, ledger: FakeLedger, dead_letters: FakeDeadLetters
) -> None:
    reminder = notice("expiry_reminder", lead_days=7, expires_on="2026-03-22")
    reminder["due_on"] = "2026-03-15"
    handler = _handler(transport, ledger, dead_letters)
    reads = iter([datetime(2026, 3, 21, 23, 59, 59, tzinfo=UTC), datetime(2026, 3, 22, 0, 0, 1, tzinfo=UTC)])
    handler.now = lambda: next(reads)  # the clock passes midnight between two reads

    assert handler.handle(FakeRecord.of(reminder)) is Outcome.SENT
    assert str(transport.sent[0]["Subject"]).startswith("1 day left: ")


def test_the_notifier_beats_once_per_notice_so_slow_replies_are_progress(
    monkeypatch: pytest.MonkeyPatch, transport: FakeTransport, ledger: FakeLedger, dead_letters: FakeDeadLetters
) -> None:
    beats: list[str] = []
    monkeypatch.setattr("consumers.notifier.app.metrics.beat", beats.append)
    notifier = object.__new__(Notifier)
    notifier.handler, notifier._handled = _handler(transport, ledger, dead_letters), set()
    documents = [notice("support_started") | {"notice_id": f"n-{i}", "serial": f"SN-{i}"} for i in range(3)]

    notifier.handle_batch([FakeRecord.of(document, offset) for offset, document in enumerate(documents)])

    assert beats == ["notifier"] * 3


def test_a_notice_given_up_whose_letter_fails_is_given_up_on_the_retry_not_sent(ledger: FakeLedger) -> None:
    greylisted = notice("support_started", recipient={"email": "full@example.com", "name": "Full"})
    transport, letters = DeferringTransport(), FailingOnce()
    handler = _handler(transport, ledger, letters)
    assert _tries(handler, greylisted, TRIES + 1) == ["retry"] * TRIES + [Outcome.DEAD_LETTERED]
    ((_, reason),) = letters.records
    assert reason.startswith(f"{DEFERRED}: deferred {TRIES + 1} times")  # the count went on, it did not start again


def test_a_message_the_server_may_have_taken_goes_again_only_when_redriven(
    ledger: FakeLedger, dead_letters: FakeDeadLetters
) -> None:
    lost = DeliveryUnknownError("the SMTP server did not confirm delivery after DATA (TimeoutError: timed out)")
    document = notice("support_started")
    assert _handler(FakeTransport(failures=[lost]), ledger, dead_letters).handle(FakeRecord.of(document)) is (
        Outcome.DEAD_LETTERED
    )

    transport = FakeTransport()
    restarted = _handler(transport, ledger, dead_letters)  # the record read again before its offset was committed
    assert restarted.handle(FakeRecord.of(document)) is Outcome.DUPLICATE
    assert transport.sent == []

    copy = FakeRecord.of(document, offset=7)
    copy.headers.append((REDRIVE_HEADER, b"t.deadletter/0/3"))  # an operator sent it back
    assert restarted.handle(copy) is Outcome.SENT
    assert len(transport.sent) == 1
