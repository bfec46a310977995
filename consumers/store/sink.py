"""The entitlement store's batch handler: rows to PostgreSQL, what it cannot understand to dead letters."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence

import psycopg2
from kafka import KafkaProducer
from kafka.errors import KafkaError
from psycopg2.extensions import connection as Connection  # noqa: N812 - the driver's own class name

from consumers.deadletters import KafkaDeadLetters
from consumers.record import Record
from consumers.store.mapping import Batch, Rejected, sort_batch
from consumers.store.repository import write_batch
from lifecycle import metrics
from lifecycle.deadletter import DEFAULT_PREVIEW_BYTES

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
# PostgreSQL still refuses goes to dead letters, so one such row cannot hold the store back for ever.
ROW_ERRORS: tuple[type[BaseException], ...] = (psycopg2.DataError, psycopg2.IntegrityError)


class EntitlementStore:
    """Apply one poll batch: upsert in one transaction, then publish its dead letters (at least once)."""

    def __init__(
        self,
        dsn: str,
        producer: KafkaProducer,
        *,
        entitlements_topic: str,
        releases_topic: str,
        holds_topic: str,
        deadletter_topic: str,
        deadletter_preview_bytes: int = DEFAULT_PREVIEW_BYTES,
    ) -> None:
        self._dsn = dsn
        self._dead_letters = KafkaDeadLetters(producer, deadletter_topic, COMPONENT, deadletter_preview_bytes)
        self._entitlements_topic = entitlements_topic
        self._releases_topic = releases_topic
        self._holds_topic = holds_topic
        self._connection: Connection | None = None

    def _connect(self) -> Connection:
        if self._connection is None or self._connection.closed:
            self._connection = psycopg2.connect(self._dsn, connect_timeout=5, application_name="lifecycle-store")
            self._connection.autocommit = False
        return self._connection

    def close(self) -> None:
        """Close the database connection."""
        if self._connection is not None:
            self._connection.close()

    def __call__(self, records: Sequence[Record]) -> None:
        with metrics.PROCESSING_SECONDS.labels(COMPONENT).time():
            batch = self._sort(records)
            try:
                changed, rejected = self._write(batch), batch.rejected
            except ROW_ERRORS as exc:
                log.warning(
                    "PostgreSQL refused a row (%s); writing the %d records one by one", _first_line(exc), len(records)
                )
                changed, rejected = self._write_each(records)
            self._send_deadletters(rejected)
        metrics.EVENTS.labels(COMPONENT, "applied").inc(changed)
        metrics.EVENTS.labels(COMPONENT, "stale").inc(max(len(batch.entitlements) + len(batch.holds) - changed, 0))

    def _sort(self, records: Sequence[Record]) -> Batch:
        return sort_batch(records, self._entitlements_topic, self._releases_topic, self._holds_topic)

    def _write(self, batch: Batch) -> int:
        try:
            return write_batch(self._connect(), batch)
        except (psycopg2.OperationalError, psycopg2.InterfaceError):
            self._drop_connection()
            raise

    def _write_each(self, records: Sequence[Record]) -> tuple[int, list[Rejected]]:
        """Each record in its own transaction; the ones PostgreSQL refuses become dead letters."""
        changed, rejected = 0, []
        for record in records:
            single = self._sort([record])
            try:
                changed += self._write(single)
            except ROW_ERRORS as exc:
                rejected.append(Rejected(record, f"refused by PostgreSQL: {_first_line(exc)}"))
            rejected.extend(single.rejected)
        return changed, rejected

    def _drop_connection(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(psycopg2.Error):
                self._connection.close()
        self._connection = None

    def _send_deadletters(self, rejected: Sequence[Rejected]) -> None:
        self._dead_letters.send_all([(item.record, item.reason) for item in rejected])
        metrics.EVENTS.labels(COMPONENT, "deadletter").inc(len(rejected))


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
