"""The delivery ledger in PostgreSQL: one row per notice_id, so a redelivered notice is sent once."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import psycopg2
import psycopg2.errors
import psycopg2.extensions

from consumers.database import UNPARSABLE_DSN, explain_unparsable_dsn
from consumers.notifier.handler import COMPONENT
from consumers.notifier.ledger_port import LedgerEntry, LedgerRejectedError, LedgerUnavailableError
from consumers.privileges import check_privileges
from lifecycle.errors import UserError
from lifecycle.redact import redact

T = TypeVar("T")

_BEGIN = """
INSERT INTO delivery_ledger (notice_id, kind, serial, account_id, due_on, status)
VALUES (%(notice_id)s, %(kind)s, %(serial)s, %(account_id)s, %(due_on)s, 'pending')
ON CONFLICT (notice_id) DO UPDATE SET notice_id = EXCLUDED.notice_id
RETURNING status, attempts, last_error
"""
_SENT = """
UPDATE delivery_ledger
SET status = 'sent', attempts = attempts + 1, sent_at = now(), updated_at = now(),
    transport = %s, message_id = %s, recipient = %s, last_error = NULL,
    counted_on = (now() AT TIME ZONE 'UTC')::date
WHERE notice_id = %s AND status NOT IN ('sent', 'skipped')
"""
_FAILED = """
UPDATE delivery_ledger SET status = 'retrying', attempts = attempts + 1, last_error = %s, updated_at = now()
WHERE notice_id = %s AND status NOT IN ('sent', 'skipped')
"""
_DEAD = """
UPDATE delivery_ledger SET status = 'dead_lettered', attempts = attempts + 1, last_error = %s, updated_at = now()
WHERE notice_id = %s AND status NOT IN ('sent', 'skipped')
"""
_SKIPPED = """
UPDATE delivery_ledger SET status = 'skipped', skip_reason = %s, last_error = %s, updated_at = now()
WHERE notice_id = %s AND status NOT IN ('sent', 'skipped')
"""

# The cap: one recipient's claims are serialized by an advisory lock, so notifiers in parallel cannot overshoot it.
_CAP_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended('lifecycle.recipient:' || lower(%s), 0))"
_CAP_COUNT = """
SELECT count(*) FROM delivery_ledger
WHERE lower(recipient) = lower(%s) AND counted_on = (now() AT TIME ZONE 'UTC')::date
  AND status IN ('pending', 'retrying', 'sent') AND notice_id <> %s
"""
_CAP_CLAIM = """
UPDATE delivery_ledger SET recipient = %s, counted_on = (now() AT TIME ZONE 'UTC')::date, updated_at = now()
WHERE notice_id = %s AND status NOT IN ('sent', 'skipped')
"""


class PostgresLedger:
    """The ledger table `delivery_ledger`; each call is one statement committed alone (a claim: one transaction)."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._connection: psycopg2.extensions.connection | None = None

    def _run(self, work: Callable[[psycopg2.extensions.connection], T]) -> T:
        try:
            if self._connection is None or self._connection.closed:
                try:
                    connection = psycopg2.connect(self._dsn, connect_timeout=10, application_name="lifecycle-notifier")
                except UNPARSABLE_DSN as exc:
                    raise UserError(explain_unparsable_dsn(exc)) from None
                connection.autocommit = True  # every statement is its own transaction: one round trip
                self._connection = connection
            return work(self._connection)
        except (psycopg2.OperationalError, psycopg2.InterfaceError) as exc:
            self.close()
            raise LedgerUnavailableError(redact(f"PostgreSQL: {' '.join(str(exc).split())}")) from exc
        except (psycopg2.DataError, ValueError) as exc:
            raise LedgerRejectedError(str(exc).strip()) from exc

    def _execute(self, statement: str, parameters: Any) -> tuple[Any, ...] | None:
        def one(connection: psycopg2.extensions.connection) -> tuple[Any, ...] | None:
            with connection.cursor() as cursor:
                cursor.execute(statement, parameters)
                return cursor.fetchone() if cursor.description else None

        return self._run(one)

    def check(self, setting: str = "LIFECYCLE_DATABASE_URL") -> None:
        """Fail with a UserError when the database cannot be reached, was never migrated or grants too little."""
        try:
            self._run(lambda connection: check_privileges(connection, COMPONENT))
        except LedgerUnavailableError as exc:
            raise UserError(f"{exc}; check {setting}") from None
        except UserError:
            self.close()
            raise

    def begin(self, notice: Mapping[str, Any]) -> LedgerEntry:
        """Record that the notice is being handled (once) and return where its delivery stands."""
        row = self._execute(
            _BEGIN, {name: notice[name] for name in ("notice_id", "kind", "serial", "account_id", "due_on")}
        )
        assert row is not None
        return LedgerEntry(status=row[0], attempts=row[1], last_error=row[2])

    def record_sent(self, notice_id: str, transport: str, message_id: str, recipient: str) -> None:
        """Mark the notice delivered."""
        self._execute(_SENT, (transport, message_id, recipient, notice_id))

    def record_failure(self, notice_id: str, error: str) -> None:
        """Count a failed attempt that will be retried."""
        self._execute(_FAILED, (error[:2000], notice_id))

    def record_dead_letter(self, notice_id: str, reason: str) -> None:
        """Mark the notice dead-lettered: it will not be tried again."""
        self._execute(_DEAD, (reason[:2000], notice_id))

    def record_skipped(self, notice_id: str, reason: str, detail: str) -> None:
        """Mark the notice skipped (`reason`: one of freshness.REASONS, or RECIPIENT_CAP): it will never be sent."""
        self._execute(_SKIPPED, (reason, detail[:2000], notice_id))

    def claim_recipient(self, notice_id: str, recipient: str, daily_cap: int) -> bool:
        """Count this notice against `recipient`'s cap for today (UTC); False when the day's cap is already used.

        Counted: the recipient's notices sent today, or claimed today and still being delivered.
        """

        def claim(connection: psycopg2.extensions.connection) -> bool:
            connection.autocommit = False
            try:
                with connection.cursor() as cursor:
                    cursor.execute(_CAP_LOCK, (recipient,))
                    cursor.execute(_CAP_COUNT, (recipient, notice_id))
                    row = cursor.fetchone()
                    allowed = row is not None and row[0] < daily_cap
                    if allowed:
                        cursor.execute(_CAP_CLAIM, (recipient, notice_id))
                connection.commit()
                return allowed
            except BaseException:
                with contextlib.suppress(psycopg2.Error):
                    connection.rollback()
                raise
            finally:
                with contextlib.suppress(psycopg2.Error):
                    connection.autocommit = True

        return self._run(claim)

    def close(self) -> None:
        """Drop the connection (reopened on next use)."""
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(psycopg2.Error):
                connection.close()
