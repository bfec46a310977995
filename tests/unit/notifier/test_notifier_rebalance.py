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
from scripted_consumer import ScriptedConsumer

from consumers.kafka_loop import Backoff, run_batches
from consumers.notifier.app import Notifier
from consumers.notifier.delivery_errors import DeliveryUnknownError
from consumers.notifier.handler import NoticeHandler, RetryLaterError
from consumers.notifier.render import NoticeRenderer

pytestmark = pytest.mark.unit

PARTITION = TopicPartition("t.notices", 0)
LEASE = timedelta(seconds=0.3)  # stands for CLAIM_LEASE


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
    # The retry's first paused poll is where a rebalance gives the partition to notifier-b.
    consumer = ScriptedConsumer([[record]], stop, revoke_on_paused_poll={PARTITION})

    run_batches(consumer, first.handle_batch, stop=stop, transient=(RetryLaterError,), backoff=Backoff(0.01, 0.01))
    second = _notifier(new_owner, FakeLedger(rows=rows, owner="notifier-b"))
    time.sleep(LEASE.total_seconds() + 0.05)  # even once the first one's claim ran out
    second.handle_batch([record])  # the new owner reads the partition again from its last commit

    tries = 1 if failure is not None else len(sender.sent)
    assert tries + len(new_owner.sent) == 1
    assert next(iter(rows.values()))["status"] == ("sent" if failure is None else "dead_lettered")
