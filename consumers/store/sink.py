"""The entitlement store's batch handler: rows to PostgreSQL, what it cannot understand to dead letters."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import psycopg2
import psycopg2.errors
from kafka.errors import KafkaError

from consumers.deadletters import DeadLetters
from consumers.record import Record
from consumers.store.entitlements import EntitlementRepository
from consumers.store.mapping import Batch, Rejected, sort_batch
from lifecycle import metrics

log = logging.getLogger(__name__)

COMPONENT = "store"
# Errors after which the same batch is retried: the database or the broker is away, or a transaction lost a race.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    psycopg2.OperationalError,
    psycopg2.InterfaceError,
    psycopg2.InternalError,
    KafkaError,
)
# Errors that belong to a row, not to the database: the batch is then written one record at a time, and what
# PostgreSQL still refuses goes to dead letters, so one such row cannot hold the store back for ever. Data
# exceptions (SQLSTATE class 22), integrity violations (23) and program limits exceeded (54: an index entry
# over the btree's limit, a statement too complex). psycopg2 makes class 54 an OperationalError, as it does an
# outage: it is listed here so that it is caught before the transient errors are.
PROGRAM_LIMITS: tuple[type[BaseException], ...] = (
    psycopg2.errors.ProgramLimitExceeded,
    psycopg2.errors.StatementTooComplex,
    psycopg2.errors.TooManyColumns,
    psycopg2.errors.TooManyArguments,
)
ROW_ERRORS: tuple[type[BaseException], ...] = (psycopg2.DataError, psycopg2.IntegrityError, *PROGRAM_LIMITS)
# Class 54 also stops the whole database: past its transaction-id (or multixact) wraparound limit it refuses every
# write with 54000. That is an outage, retried, never a row's fault.
_DATABASE_STOPPED = "not accepting commands"


def _refused_row(exc: BaseException) -> bool:
    """Whether a ROW_ERRORS error is the row's (else the database refuses every write: an outage)."""
    return not (isinstance(exc, PROGRAM_LIMITS) and _DATABASE_STOPPED in str(exc))


class EntitlementStore:
    """Apply one poll batch: upsert in one transaction, then publish its dead letters (at least once)."""

    def __init__(
        self,
        repository: EntitlementRepository,
        dead_letters: DeadLetters,
        *,
        entitlements_topic: str,
        releases_topic: str,
        holds_topic: str,
        holds_partitions: int | None = None,
    ) -> None:
        self._repository = repository
        self._dead_letters = dead_letters
        self._entitlements_topic = entitlements_topic
        self._releases_topic = releases_topic
        self._holds_topic = holds_topic
        self._holds_partitions = holds_partitions  # None: not known, placement is not checked

    def close(self) -> None:
        """Close the repository."""
        self._repository.close()

    def __call__(self, records: Sequence[Record]) -> None:
        with metrics.PROCESSING_SECONDS.labels(COMPONENT).time():
            batch = self._sort(records)
            try:
                changed, rejected = self._write(batch), batch.rejected
            except ROW_ERRORS as exc:
                if not _refused_row(exc):
                    raise
                log.warning(
                    "PostgreSQL refused a row (%s); writing the %d records one by one", _first_line(exc), len(records)
                )
                changed, rejected = self._write_each(records)
            self._send_deadletters(rejected)
        metrics.EVENTS.labels(COMPONENT, "applied").inc(changed)
        metrics.EVENTS.labels(COMPONENT, "stale").inc(max(len(batch.entitlements) + len(batch.holds) - changed, 0))

    def _sort(self, records: Sequence[Record]) -> Batch:
        topics = (self._entitlements_topic, self._releases_topic, self._holds_topic)
        return sort_batch(records, *topics, self._holds_partitions)

    def _write(self, batch: Batch) -> int:
        return self._repository.write(batch)

    def _write_each(self, records: Sequence[Record]) -> tuple[int, list[Rejected]]:
        """Each record in its own transaction; the ones PostgreSQL refuses become dead letters."""
        changed, rejected = 0, []
        for record in records:
            single = self._sort([record])
            try:
                changed += self._write(single)
            except ROW_ERRORS as exc:
                if not _refused_row(exc):
                    raise
                rejected.append(Rejected(record, f"refused by PostgreSQL: {_first_line(exc)}"))
            rejected.extend(single.rejected)
        return changed, rejected

    def _send_deadletters(self, rejected: Sequence[Rejected]) -> None:
        self._dead_letters.send_all([(item.record, item.reason) for item in rejected])
        metrics.EVENTS.labels(COMPONENT, "deadletter").inc(len(rejected))


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
