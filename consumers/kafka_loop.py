"""The loop every sink shares: poll a batch, apply its effect, and only then commit the batch's offsets.

Usage::

    consumer = KafkaConsumer(topic, group_id=..., enable_auto_commit=False, **kafka_python_config(settings))
    run_batches(consumer, apply_batch, stop=stop_event, transient=(psycopg2.OperationalError, KafkaError))
    consumer.close(autocommit=False)

`apply_batch(records)` must be idempotent: it gets each record at least once. When it raises one
of the `transient` exceptions (the database or broker is away), the loop keeps the batch, pauses
every assigned partition and keeps polling (so the group does not evict the consumer for exceeding
max.poll.interval.ms), then retries the same records with exponential backoff until they apply.
Records that arrive meanwhile (from partitions assigned by a rebalance) join the held batch; with
`drop_revoked`, the records of partitions a rebalance took away leave it, for their new owner to apply.
Offsets are committed per partition as last offset + 1, only after `apply_batch` returned.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from kafka import TopicPartition
from kafka.errors import CommitFailedError, KafkaError
from kafka.structs import OffsetAndMetadata

from consumers.record import Record

log = logging.getLogger(__name__)


ApplyBatch = Callable[[Sequence[Any]], None]


@dataclass(frozen=True)
class Backoff:
    """Exponential pauses between retries: initial, doubled each time, capped at maximum (seconds)."""

    initial: float = 0.25
    maximum: float = 10.0

    def delays(self) -> Iterator[float]:
        delay = self.initial
        while True:
            yield delay
            delay = min(delay * 2, self.maximum)


def offsets_to_commit(records: Sequence[Record]) -> dict[TopicPartition, OffsetAndMetadata]:
    """Per partition, the offset after the highest record of the batch."""
    highest: dict[TopicPartition, int] = {}
    for record in records:
        tp = TopicPartition(record.topic, record.partition)
        highest[tp] = max(highest.get(tp, -1), record.offset)
    return {tp: OffsetAndMetadata(offset + 1, "", -1) for tp, offset in highest.items()}


def learn_partitions(consumer: Any) -> None:
    """Fetch the partitions of every subscribed topic, so that the first poll joins the group knowing them."""
    # kafka-python joins without waiting for the metadata it asked for: a leader that joins first assigns none
    # ("No partition metadata for topic", a warning) and the group rebalances once the metadata has come.
    for topic in sorted(consumer.subscription() or ()):
        consumer.partitions_for_topic(topic)


def _flatten(polled: dict[TopicPartition, list[Any]]) -> list[Any]:
    return [record for tp in sorted(polled, key=lambda t: (t.topic, t.partition)) for record in polled[tp]]


def _commit(consumer: Any, records: Sequence[Record], stop: threading.Event, backoff: Backoff) -> None:
    assigned = consumer.assignment()
    offsets = {tp: om for tp, om in offsets_to_commit(records).items() if tp in assigned}
    if not offsets:
        return
    for delay in backoff.delays():
        try:
            consumer.commit(offsets)
            return
        except CommitFailedError as exc:
            # The group moved the partitions on; their new owner re-reads them (the effect is idempotent).
            log.warning("offset commit refused after a rebalance, records will be redelivered: %s", exc)
            return
        except KafkaError as exc:
            log.warning("offset commit failed (%s); retrying in %.1fs", exc, delay)
            if stop.wait(delay):
                return


def _apply_until_done(
    consumer: Any,
    batch: list[Any],
    apply: ApplyBatch,
    *,
    stop: threading.Event,
    transient: tuple[type[BaseException], ...],
    backoff: Backoff,
    on_poll: Callable[[], None] | None = None,
    drop_revoked: bool = False,
) -> bool:
    """Apply the batch, pausing and retrying through outages; False when stopped first."""
    delays = backoff.delays()
    paused = False
    try:
        while batch:  # empty when a rebalance took every partition of it away
            try:
                apply(batch)
                return True
            except transient as exc:
                delay = next(delays)
                log.warning("batch of %d not applied (%s); retrying in %.1fs", len(batch), exc, delay)
                consumer.pause(*consumer.assignment())
                paused = True
                # Polling paused partitions fetches nothing but keeps this member in the group.
                batch.extend(_flatten(consumer.poll(timeout_ms=int(delay * 1000))))
                if drop_revoked:
                    _drop_revoked(batch, consumer.assignment())
                consumer.pause(*consumer.assignment())
                if on_poll is not None:
                    on_poll()  # the loop still turns: an outage elsewhere is no reason to restart this process
                if stop.is_set():
                    return False
        return True
    finally:
        if paused:
            consumer.resume(*consumer.paused())


def _drop_revoked(batch: list[Any], assigned: set[TopicPartition]) -> None:
    """Keep only the records of partitions still assigned: a rebalance in the outage gave the others away.

    Their new owner reads them again from the last commit; applied here as well, late, they could write an older
    state over the one it wrote (a holds record has no revision to guard it) or send a notice it also sends.
    """
    kept = [record for record in batch if TopicPartition(record.topic, record.partition) in assigned]
    if len(kept) < len(batch):
        log.info("%d records of partitions moved to another member left to it", len(batch) - len(kept))
        batch[:] = kept


def run_batches(
    consumer: Any,
    apply: ApplyBatch,
    *,
    stop: threading.Event,
    transient: tuple[type[BaseException], ...],
    backoff: Backoff = Backoff(),
    max_records: int = 500,
    poll_timeout_ms: int = 500,
    on_poll: Callable[[], None] | None = None,
    drop_revoked: bool = False,
) -> None:
    """Poll, apply and commit until `stop` is set; `on_poll` runs after every poll (heartbeats, metrics).

    `drop_revoked` suits an effect that is a latest state written by key (the store): applied late by a member
    that lost the partition, it could write an older state over the new owner's. An effect with work half done
    that only this member can finish (the notifier: a notice sent, its ledger record not yet written) keeps its
    records and finishes them; the ledger's claim keeps the new owner from doing the same work meanwhile.
    """
    learn_partitions(consumer)
    while not stop.is_set():
        batch = _flatten(consumer.poll(timeout_ms=poll_timeout_ms, max_records=max_records))
        if on_poll is not None:
            on_poll()
        if not batch:
            continue
        if not _apply_until_done(
            consumer,
            batch,
            apply,
            stop=stop,
            transient=transient,
            backoff=backoff,
            on_poll=on_poll,
            drop_revoked=drop_revoked,
        ):
            return
        _commit(consumer, batch, stop, backoff)
