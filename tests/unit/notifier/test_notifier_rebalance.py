"""A notice sent while the ledger was away, its partition moved meanwhile: recorded by the sender, never sent twice."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from fake_deadletters import FakeDeadLetters
from kafka import TopicPartition
from notifier_fakes import FakeClock, FakeLedger, FakeRecord, FakeTransport
from notifier_samples import notice

from consumers.kafka_loop import Backoff, run_batches
from consumers.notifier.app import Notifier
from consumers.notifier.delivery_errors import DeliveryUnknownError
from consumers.notifier.handler import NoticeHandler, RetryLaterError
from consumers.notifier.render import NoticeRenderer

pytestmark = pytest.mark.unit

PARTITION = TopicPartition("t.notices", 0)
LEASE = timedelta(seconds=0.3)  # stands for CLAIM_LEASE


class RebalancingConsumer:
    """Hands out one batch; the retry's first paused poll is where a rebalance gives the partition away."""

    def __init__(self, batch: list[FakeRecord], stop: threading.Event) -> None:
        self.batches, self.stop = [batch], stop
        self.assigned, self.paused_set = {PARTITION}, set[TopicPartition]()
        self.commits: list[Any] = []

    def subscription(self) -> set[str]:
        return set()

    def assignment(self) -> set[TopicPartition]:
        return set(self.assigned)

    def pause(self, *partitions: TopicPartition) -> None:
        self.paused_set.update(partitions)

    def resume(self, *partitions: TopicPartition) -> None:
        self.paused_set.difference_update(partitions)

    def paused(self) -> set[TopicPartition]:
        return set(self.paused_set)

    def commit(self, offsets: Any) -> None:
        self.commits.append(offsets)

    def poll(self, timeout_ms: int = 0, max_records: int | None = None) -> dict[TopicPartition, list[FakeRecord]]:
        if self.paused_set:
            self.assigned.discard(PARTITION)  # the rebalance: the partition now belongs to notifier-b
            return {}
        if not self.batches:
            self.stop.set()
            return {}
        return {PARTITION: self.batches.pop(0)}


def _notifier(transport: FakeTransport, ledger: FakeLedger) -> Notifier:
    notifier = object.__new__(Notifier)  # the batch handling alone, without Kafka or PostgreSQL clients
    handler = NoticeHandler(
        NoticeRenderer(), transport, ledger, FakeDeadLetters(), "support@example.com", max_age_days=7, now=FakeClock()
    )
    notifier.handler, notifier._handled = handler, set()
    return notifier


@pytest.mark.parametrize("failure", [None, DeliveryUnknownError("no reply to the data")], ids=["sent", "unknown"])
def test_a_notice_sent_but_not_recorded_is_recorded_by_its_sender_after_its_partition_moved(
    failure: Exception | None,
) -> None:
    rows: dict[str, dict[str, Any]] = {}
    record = FakeRecord.of(notice("support_started"))
    sender, new_owner = FakeTransport(), FakeTransport()
    if failure is not None:
        sender.failures.append(failure)  # the server may have taken it: never to be sent again unasked
    first = _notifier(sender, FakeLedger(rows=rows, owner="notifier-a", lease=LEASE, outages_on_record=1))
    stop = threading.Event()

    run_batches(
        RebalancingConsumer([record], stop), first.handle_batch, stop=stop, transient=(RetryLaterError,),
        backoff=Backoff(0.01, 0.01),
    )  # fmt: skip
    second = _notifier(new_owner, FakeLedger(rows=rows, owner="notifier-b"))
    time.sleep(LEASE.total_seconds() + 0.05)  # even once the first one's claim ran out
    second.handle_batch([record])  # the new owner reads the partition again from its last commit

    tries = 1 if failure is not None else len(sender.sent)
    assert tries + len(new_owner.sent) == 1
    assert next(iter(rows.values()))["status"] == ("sent" if failure is None else "dead_lettered")
