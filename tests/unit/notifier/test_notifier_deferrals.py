"""A notice the server defers is parked and tried again later, others going on; one it may have taken: set aside."""

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
from consumers.notifier.parked_round import ParkedRounds
from consumers.notifier.parking import retry_delay
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
    """A handler that gives a deferred notice up after TRIES deferrals over `minutes` (parked a minute at first)."""
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


def _full() -> dict[str, Any]:
    """A notice to the address DeferringTransport defers."""
    deferred = notice("support_started", recipient={"email": "full@example.com", "name": "Full"})
    deferred["notice_id"] = "deferred"
    return deferred


def _round(handler: NoticeHandler, ledger: FakeLedger) -> list[Outcome]:
    """One parked round of this handler: the outcomes of the notices it took."""
    outcomes: list[Outcome] = []
    ParkedRounds(handler, ledger, outcomes.append).run_round()
    return outcomes


def _parked(
    transport: FakeTransport, ledger: FakeLedger, dead_letters: Any, count: int
) -> tuple[NoticeHandler, FakeClock]:
    """A handler whose clock moves, after `count` notices were deferred and parked; their retry time has come."""
    documents = [notice("support_started") | {"notice_id": f"n-{i}", "serial": f"SN-{i}"} for i in range(count)]
    transport.failures.extend(DeferredDeliveryError("message deferred: SMTP 452 4.2.2 Mailbox full") for _ in documents)
    handler = _handler(transport, ledger, dead_letters)
    clock = FakeClock()
    handler.now = clock
    for offset, document in enumerate(documents):
        assert handler.handle(FakeRecord.of(document, offset)) is Outcome.DEFERRED
    clock.at += timedelta(minutes=1)
    return handler, clock


def test_a_deferred_notice_is_parked_and_the_ones_behind_it_are_sent_at_once(
    ledger: FakeLedger, dead_letters: FakeDeadLetters
) -> None:
    deferred = _full()
    good = [notice("support_started") | {"notice_id": f"good-{i}", "serial": f"SN-{i}"} for i in range(3)]
    records = [FakeRecord.of(document, offset) for offset, document in enumerate([deferred, *good])]
    transport, stop = DeferringTransport(), threading.Event()
    consumer = Consumer(records, stop)
    notifier = object.__new__(Notifier)  # the batch handling alone, without Kafka or PostgreSQL clients
    notifier.handler, notifier._handled = _handler(transport, ledger, dead_letters), set()

    run_batches(consumer, notifier.handle_batch, stop=stop, transient=(RetryLaterError,), backoff=Backoff(0, 0))

    assert consumer.commits == [len(records)]
    assert consumer.count == 1  # the batch applied at its first try: not retried for the deferred one
    assert [str(message["To"]) for message in transport.sent] == ["Pat Customer <pat@example.com>"] * len(good)
    row = ledger.rows["deferred"]
    assert (row["status"], row["attempts"], row["deferrals"]) == ("deferred", 1, 1)
    assert row["retry_at"] == FakeClock().at + timedelta(minutes=1)
    assert row["parked"].offset == 0
    assert dead_letters.records == []


def test_a_deferred_notice_is_dead_lettered_after_its_tries_by_the_parked_rounds(
    ledger: FakeLedger, dead_letters: FakeDeadLetters
) -> None:
    handler = _handler(DeferringTransport(), ledger, dead_letters)
    clock = FakeClock()
    handler.now = clock
    assert handler.handle(FakeRecord.of(_full(), offset=7)) is Outcome.DEFERRED

    assert _round(handler, ledger) == []  # not before its retry time
    clock.at += timedelta(minutes=1)
    assert _round(handler, ledger) == [Outcome.DEFERRED]  # within its tries: parked again, twice as long
    assert ledger.rows["deferred"]["retry_at"] == clock.at + timedelta(minutes=2)
    clock.at += timedelta(minutes=2)
    assert _round(handler, ledger) == [Outcome.DEAD_LETTERED]

    row = ledger.rows["deferred"]
    assert (row["status"], row["attempts"], row["retry_at"], row["parked"]) == ("dead_lettered", TRIES, None, None)
    ((record, reason),) = dead_letters.records
    assert (record.topic, record.partition, record.offset) == ("t.notices", 0, 7)  # the original record's place
    assert reason.startswith(f"{DEFERRED}: deferred {TRIES} times over 3 min, last: recipient deferred: ")
    assert "452 4.2.2 mailbox full" in reason
    assert "redrive once the recipient's mailbox or domain accepts" in reason
    assert "full@example.com" not in reason
    assert row["last_error"] == reason


def test_a_parked_notice_is_sent_by_the_parked_round_once_its_retry_time_came(
    transport: FakeTransport, ledger: FakeLedger, dead_letters: FakeDeadLetters
) -> None:
    greylisted = notice("support_started")
    transport.failures.append(DeferredDeliveryError("recipient deferred: p***@example.com: 450 4.7.1 greylisted"))
    handler = _handler(transport, ledger, dead_letters)
    clock = FakeClock()
    handler.now = clock
    assert handler.handle(FakeRecord.of(greylisted)) is Outcome.DEFERRED

    clock.at += timedelta(seconds=59)
    assert _round(handler, ledger) == []
    clock.at += timedelta(seconds=1)
    assert _round(handler, ledger) == [Outcome.SENT]
    assert _round(handler, ledger) == []  # it left the park

    assert len(transport.sent) == 1
    row = ledger.rows[greylisted["notice_id"]]
    assert (row["status"], row["attempts"], row["deferrals"], row["retry_at"]) == ("sent", 2, 0, None)


def test_a_redelivered_record_of_a_parked_notice_is_a_duplicate_unless_redriven(
    transport: FakeTransport, ledger: FakeLedger, dead_letters: FakeDeadLetters
) -> None:
    document = notice("support_started")
    transport.failures.append(DeferredDeliveryError("message deferred: SMTP 452 4.2.2 Mailbox full"))
    assert _handler(transport, ledger, dead_letters).handle(FakeRecord.of(document)) is Outcome.DEFERRED

    restarted = _handler(transport, ledger, dead_letters)  # read again before its offset was committed
    assert restarted.handle(FakeRecord.of(document)) is Outcome.DUPLICATE
    assert transport.sent == []
    assert ledger.rows[document["notice_id"]]["status"] == "deferred"

    copy = FakeRecord.of(document, offset=7)
    copy.headers.append((REDRIVE_HEADER, b"t.deadletter/0/3"))  # an operator sent it back: tried at once
    assert restarted.handle(copy) is Outcome.SENT
    assert len(transport.sent) == 1


def test_a_parked_round_ends_at_a_temporary_failure_and_the_notices_stay_parked(
    transport: FakeTransport, ledger: FakeLedger, dead_letters: FakeDeadLetters
) -> None:
    handler, _ = _parked(transport, ledger, dead_letters, 3)

    transport.failures.append(TransientDeliveryError("SMTP connection failed: ConnectionRefusedError"))
    assert _round(handler, ledger) == []  # the server away: the round ends at the first
    assert [row["status"] for row in ledger.rows.values()] == ["deferred"] * 3
    ledger.available = False
    assert _round(handler, ledger) == []  # the ledger away
    ledger.available = True

    assert _round(handler, ledger) == [Outcome.SENT] * 3
    assert len(transport.sent) == 3


def test_a_parked_round_beats_once_per_notice_and_takes_a_bounded_number(
    monkeypatch: pytest.MonkeyPatch, transport: FakeTransport, ledger: FakeLedger, dead_letters: FakeDeadLetters
) -> None:
    beats: list[str] = []
    monkeypatch.setattr("consumers.notifier.parked_round.metrics.beat", beats.append)
    handler, _ = _parked(transport, ledger, dead_letters, 3)
    outcomes: list[Outcome] = []

    assert ParkedRounds(handler, ledger, outcomes.append, per_round=2).run_round() == 2
    assert (outcomes, beats) == ([Outcome.SENT] * 2, ["notifier"] * 2)


def test_parked_rounds_come_at_most_every_few_seconds(
    transport: FakeTransport, ledger: FakeLedger, dead_letters: FakeDeadLetters
) -> None:
    handler, _ = _parked(transport, ledger, dead_letters, 3)
    now = [0.0]
    outcomes: list[Outcome] = []
    rounds = ParkedRounds(handler, ledger, outcomes.append, every=5, per_round=1, monotonic=lambda: now[0])

    ran = []
    for at in (0.0, 4.9, 5.0):
        now[0] = at
        ran.append(rounds.maybe_run())
    assert ran == [1, 0, 1]


def test_a_round_starts_no_notice_after_its_time_is_up_so_the_consumer_polls_again(
    transport: FakeTransport, ledger: FakeLedger, dead_letters: FakeDeadLetters
) -> None:
    handler, _ = _parked(transport, ledger, dead_letters, 5)
    now = [0.0]

    send = transport.send

    def slow_send(notice_id: str, message: EmailMessage) -> None:
        now[0] += 12.0  # a server answering slowly: each notice takes 12 s
        send(notice_id, message)

    transport.send = slow_send  # type: ignore[method-assign]
    outcomes: list[Outcome] = []

    assert ParkedRounds(handler, ledger, outcomes.append, monotonic=lambda: now[0]).run_round() == 3  # 0, 12, 24 s
    assert outcomes == [Outcome.SENT] * 3
    assert len(ledger.take_due(FakeClock().at + timedelta(days=1), 10)) == 2  # left parked for the next round


def test_a_parked_notice_that_went_stale_is_skipped_by_its_round(
    transport: FakeTransport, ledger: FakeLedger, dead_letters: FakeDeadLetters
) -> None:
    handler, clock = _parked(transport, ledger, dead_letters, 1)
    clock.at += timedelta(days=8)  # past LIFECYCLE_NOTICE_MAX_AGE_DAYS (7) since it was due

    assert _round(handler, ledger) == [Outcome.SKIPPED]
    assert (transport.sent, ledger.rows["n-0"]["skip_reason"]) == ([], "too_old")


def test_the_wait_of_a_parked_notice_doubles_from_a_minute_to_an_hour() -> None:
    waits = [retry_delay(deferrals) for deferrals in range(1, 10)]

    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 60, 60, 60)]
    assert retry_delay(3, timedelta(seconds=1)) == timedelta(seconds=4)
    assert retry_delay(10_000) == timedelta(hours=1)


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
    greylisted = _full()
    handler = _handler(DeferringTransport(), ledger, dead_letters, minutes=15)
    clock = FakeClock()
    handler.now = clock
    outcomes = [handler.handle(FakeRecord.of(greylisted))]
    for wait in (1, 2, 4):  # the parked waits double: deferred at 0, 1, 3 and 7 min
        clock.at += timedelta(minutes=wait)
        outcomes += _round(handler, ledger)
    assert outcomes == [Outcome.DEFERRED] * (TRIES + 1)  # past its tries, but within its minutes: parked again
    clock.at += timedelta(minutes=8)
    assert _round(handler, ledger) == [Outcome.DEAD_LETTERED]
    ((_, reason),) = dead_letters.records
    assert reason.startswith(f"{DEFERRED}: deferred {TRIES + 2} times over 15 min, last: ")


def test_failures_of_the_server_do_not_count_as_deferrals(ledger: FakeLedger, dead_letters: FakeDeadLetters) -> None:
    outage = [TransientDeliveryError("SMTP connection failed: ConnectionRefusedError")] * (TRIES + 2)
    transport = FakeTransport(failures=[*outage, DeferredDeliveryError("recipient deferred: 450 4.7.1 greylisted")])
    document = notice("support_started")
    handler = _handler(transport, ledger, dead_letters)
    clock = FakeClock()
    handler.now = clock
    assert _tries(handler, document, TRIES + 2) == ["retry"] * (TRIES + 2)
    assert _tries(handler, document, 1) == [Outcome.DEFERRED]  # the first deferral is one of TRIES: parked
    assert ledger.rows[document["notice_id"]]["deferrals"] == 1
    clock.at += timedelta(minutes=1)
    assert _round(handler, ledger) == [Outcome.SENT]
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
    transport, letters = DeferringTransport(), FailingOnce()
    handler = _handler(transport, ledger, letters)
    clock = FakeClock()
    handler.now = clock
    assert handler.handle(FakeRecord.of(_full())) is Outcome.DEFERRED
    outcomes = []
    for wait in (1, 2, 4):  # the letter fails at the third deferral: the round ends, the notice stays parked
        clock.at += timedelta(minutes=wait)
        outcomes.append(_round(handler, ledger))
    assert outcomes == [[Outcome.DEFERRED], [], [Outcome.DEAD_LETTERED]]
    assert transport.sent == []
    ((_, reason),) = letters.records
    assert reason.startswith(f"{DEFERRED}: deferred {TRIES + 1} times")  # the count went on, it did not start again
    assert ledger.rows["deferred"]["status"] == "dead_lettered"


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
