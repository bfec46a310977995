"""The delivery ledger in PostgreSQL: one row per notice_id, claimed by one notifier at a time: each is sent once."""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
import socket
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

import psycopg2
import psycopg2.errors
import psycopg2.extensions
from psycopg2.extras import Json

from consumers.database import UNPARSABLE_DSN, explain_unparsable_dsn
from consumers.notifier.handler import COMPONENT
from consumers.notifier.ledger_port import (
    LedgerEntry,
    LedgerRejectedError,
    LedgerUnavailableError,
    ParkedRecord,
    kept_text,
)
from consumers.notifier.smtp_client import DATA_REPLY_TIMEOUT, SESSION_STEPS, STEP_TIMEOUT
from consumers.privileges import check_privileges
from lifecycle.errors import UserError
from lifecycle.redact import redact

T = TypeVar("T")

CONNECT_TIMEOUT = 10  # seconds to open a connection to PostgreSQL
# A claim outlasts the longest send it guards, and the record after it: every wait of a fresh SMTP session at its
# bound, then PostgreSQL reconnected (445 s). The notifier beats its liveness before each wait for the server, so
# no probe cuts a slow session short: only the sum of its waits bounds it. A notifier that dies holding a claim
# holds up that notice (and those behind it on its partition) this long, no more.
CLAIM_LEASE = timedelta(seconds=SESSION_STEPS * STEP_TIMEOUT + DATA_REPLY_TIMEOUT + CONNECT_TIMEOUT)


# A notice is claimed when no one holds it, when its claim's lease ran out (a notifier died holding it) or when this
# notifier holds it (a retry); a sent or skipped one never. ON CONFLICT locks the row: of two notifiers beginning
# one notice at once, the second sees the first's claim. A refused claim leaves the row as it was.
_CLAIMABLE = """
delivery_ledger.status NOT IN ('sent', 'skipped')
AND (delivery_ledger.claimed_until IS NULL OR delivery_ledger.claimed_until <= now()
     OR delivery_ledger.claimed_by = EXCLUDED.claimed_by)
"""
_BEGIN = f"""
INSERT INTO delivery_ledger (notice_id, kind, serial, account_id, due_on, status, claimed_by, claimed_until)
VALUES (%(notice_id)s, %(kind)s, %(serial)s, %(account_id)s, %(due_on)s, 'pending', %(owner)s, now() + %(lease)s)
ON CONFLICT (notice_id) DO UPDATE SET
    claimed_by = CASE WHEN {_CLAIMABLE} THEN EXCLUDED.claimed_by ELSE delivery_ledger.claimed_by END,
    claimed_until = CASE WHEN {_CLAIMABLE} THEN EXCLUDED.claimed_until ELSE delivery_ledger.claimed_until END
RETURNING status, attempts, last_error, claimed_by
"""
# Recording an outcome releases this notifier's claim, not one another notifier took once this one's ran out.
_RELEASE = """
    claimed_by = NULLIF(claimed_by, %(owner)s),
    claimed_until = CASE WHEN claimed_by = %(owner)s THEN NULL ELSE claimed_until END
"""
# A notice this notifier began and left as it was (a duplicate): its claim goes, so another may take it at once.
_RELEASE_ONLY = f"UPDATE delivery_ledger SET {_RELEASE} WHERE notice_id = %(notice_id)s AND claimed_by = %(owner)s"
# A notice sent, dead-lettered or skipped leaves the park (migration 0017); sent or dead-lettered, its deferrals are
# forgotten too: a redriven one that is deferred again is given its attempts and minutes afresh.
_UNPARK = """
    retry_at = NULL, parked_topic = NULL, parked_partition = NULL, parked_offset = NULL, parked_key = NULL,
    parked_value = NULL, parked_headers = NULL, parked_timestamp = NULL
"""
_FORGET_DEFERRALS = "deferrals = 0, first_deferred_at = NULL"
_SENT = f"""
UPDATE delivery_ledger
SET status = 'sent', attempts = attempts + 1, sent_at = now(), updated_at = now(),
    transport = %(transport)s, message_id = %(message_id)s, recipient = %(recipient)s, last_error = NULL,
    counted_on = (now() AT TIME ZONE 'UTC')::date, {_RELEASE}, {_UNPARK}, {_FORGET_DEFERRALS}
WHERE notice_id = %(notice_id)s AND status NOT IN ('sent', 'skipped')
"""
# A parked notice that fails for another cause (the server away) stays parked: no Kafka record would retry it.
_FAILED = f"""
UPDATE delivery_ledger
SET status = CASE WHEN status = 'deferred' THEN 'deferred' ELSE 'retrying' END, attempts = attempts + 1,
    last_error = %(error)s, updated_at = now(), {_RELEASE}
WHERE notice_id = %(notice_id)s AND status NOT IN ('sent', 'skipped')
"""
_DEAD = f"""
UPDATE delivery_ledger
SET status = 'dead_lettered', attempts = attempts + 1, last_error = %(error)s, updated_at = now(), {_RELEASE},
    {_UNPARK}, {_FORGET_DEFERRALS}
WHERE notice_id = %(notice_id)s AND status NOT IN ('sent', 'skipped')
"""
_SKIPPED = f"""
UPDATE delivery_ledger
SET status = 'skipped', skip_reason = %(reason)s, last_error = %(error)s, updated_at = now(), {_RELEASE}, {_UNPARK}
WHERE notice_id = %(notice_id)s AND status NOT IN ('sent', 'skipped')
"""
_COUNT_DEFERRAL = """
UPDATE delivery_ledger
SET deferrals = deferrals + 1, first_deferred_at = coalesce(first_deferred_at, %(at)s), updated_at = now()
WHERE notice_id = %(notice_id)s AND status NOT IN ('sent', 'skipped')
RETURNING deferrals, first_deferred_at
"""
_PARK = f"""
UPDATE delivery_ledger
SET status = 'deferred', attempts = attempts + 1, last_error = %(error)s, retry_at = %(retry_at)s,
    parked_topic = %(topic)s, parked_partition = %(partition)s, parked_offset = %(offset)s, parked_key = %(key)s,
    parked_value = %(value)s, parked_headers = %(headers)s, parked_timestamp = %(timestamp)s, updated_at = now(),
    {_RELEASE}
WHERE notice_id = %(notice_id)s AND status NOT IN ('sent', 'skipped')
"""
# A notice another notifier holds, parked for the rounds while that one still holds it and has recorded nothing
# since: a park landing after its outcome would bring back a notice sent or dead-lettered. Nothing else changes.
_PARK_HELD = """
UPDATE delivery_ledger
SET status = 'deferred', retry_at = %(retry_at)s, parked_topic = %(topic)s, parked_partition = %(partition)s,
    parked_offset = %(offset)s, parked_key = %(key)s, parked_value = %(value)s, parked_headers = %(headers)s,
    parked_timestamp = %(timestamp)s, updated_at = now()
WHERE notice_id = %(notice_id)s AND status IN ('pending', 'retrying')
  AND claimed_by = %(holder)s AND claimed_until > now()
RETURNING notice_id
"""
# The due parked notices no other notifier holds, claimed in one statement. The CTE is run once (a subquery under IN
# may be run again, past its LIMIT); SKIP LOCKED passes over the rows another notifier is claiming right now, and one
# it claimed meanwhile fails the WHERE re-checked on its new version, so one notifier takes each.
_TAKE_DUE = """
WITH due AS (
    SELECT notice_id FROM delivery_ledger
    WHERE status = 'deferred' AND retry_at <= %(now)s
      AND (claimed_until IS NULL OR claimed_until <= now() OR claimed_by = %(owner)s)
    ORDER BY retry_at
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
UPDATE delivery_ledger SET claimed_by = %(owner)s, claimed_until = now() + %(lease)s
FROM due
WHERE delivery_ledger.notice_id = due.notice_id
RETURNING retry_at, parked_topic, parked_partition, parked_offset, parked_key, parked_value, parked_headers,
          parked_timestamp
"""
# The claim columns of migration 0016 and the park's of 0017: a notifier started before `db migrate` refuses at once.
_CLAIM_COLUMNS = "SELECT claimed_by, claimed_until FROM delivery_ledger LIMIT 0"
_PARK_COLUMNS = "SELECT retry_at, deferrals, first_deferred_at, parked_headers FROM delivery_ledger LIMIT 0"

# The cap: one recipient's claims are serialized by an advisory lock, so notifiers in parallel cannot overshoot it.
_CAP_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended('lifecycle.recipient:' || lower(%s), 0))"
_CAP_COUNT = """
SELECT count(*) FROM delivery_ledger
WHERE lower(recipient) = lower(%s) AND counted_on = (now() AT TIME ZONE 'UTC')::date
  AND status IN ('pending', 'retrying', 'deferred', 'sent') AND notice_id <> %s
"""
_CAP_CLAIM = """
UPDATE delivery_ledger SET recipient = %s, counted_on = (now() AT TIME ZONE 'UTC')::date, updated_at = now()
WHERE notice_id = %s AND status NOT IN ('sent', 'skipped')
"""


class PostgresLedger:
    """The table `delivery_ledger`; each call is one statement committed alone (claim_recipient: one transaction).

    Parked notices (status deferred) keep their Kafka record in the row; `take_due` claims the due ones as `begin`
    claims one, so a parked notice is tried by one notifier at a time.
    """

    def __init__(self, dsn: str, *, owner: str | None = None, lease: timedelta = CLAIM_LEASE) -> None:
        self._dsn = dsn
        self._connection: psycopg2.extensions.connection | None = None
        self.owner = owner or notifier_id()  # this notifier's name in the claims it holds
        self.lease = lease

    def _run(self, work: Callable[[psycopg2.extensions.connection], T]) -> T:
        try:
            if self._connection is None or self._connection.closed:
                try:
                    connection = psycopg2.connect(
                        self._dsn, connect_timeout=CONNECT_TIMEOUT, application_name="lifecycle-notifier"
                    )
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
            self._run(_check_migrated_columns)
        except LedgerUnavailableError as exc:
            raise UserError(f"{exc}; check {setting}") from None
        except UserError:
            self.close()
            raise

    def begin(self, notice: Mapping[str, Any]) -> LedgerEntry:
        """Claim the notice for this notifier, unless done or claimed by another, and return where it stands."""
        names = ("notice_id", "kind", "serial", "account_id", "due_on")
        row = self._execute(
            _BEGIN, {**{name: notice[name] for name in names}, "owner": self.owner, "lease": self.lease}
        )
        assert row is not None
        holder = row[3] if row[3] != self.owner else None
        return LedgerEntry(status=row[0], attempts=row[1], last_error=row[2], claimed_by_other=holder)

    def record_sent(self, notice_id: str, transport: str, message_id: str, recipient: str) -> None:
        """Mark the notice delivered."""
        sent = {"transport": transport, "message_id": message_id, "recipient": recipient}
        self._execute(_SENT, {**sent, "notice_id": notice_id, "owner": self.owner})

    def record_failure(self, notice_id: str, error: str) -> None:
        """Count a failed attempt that will be retried."""
        self._execute(_FAILED, {"error": kept_text(error), "notice_id": notice_id, "owner": self.owner})

    def record_dead_letter(self, notice_id: str, reason: str) -> None:
        """Mark the notice dead-lettered: it will not be tried again."""
        self._execute(_DEAD, {"error": kept_text(reason), "notice_id": notice_id, "owner": self.owner})

    def record_skipped(self, notice_id: str, reason: str, detail: str) -> None:
        """Mark the notice skipped (`reason`: one of freshness.REASONS, or RECIPIENT_CAP): it will never be sent."""
        skipped = {"reason": reason, "error": kept_text(detail), "notice_id": notice_id, "owner": self.owner}
        self._execute(_SKIPPED, skipped)

    def release(self, notice_id: str) -> None:
        """Let go of this notifier's claim on a notice it leaves as it was."""
        self._execute(_RELEASE_ONLY, {"notice_id": notice_id, "owner": self.owner})

    def count_deferral(self, notice_id: str, at: datetime) -> tuple[int, datetime]:
        """Count one more deferral of the notice: how many since it was last sent or dead-lettered, the first's time."""
        row = self._execute(_COUNT_DEFERRAL, {"notice_id": notice_id, "at": at})
        return (row[0], row[1]) if row is not None else (1, at)  # a notice never begun: this deferral alone

    def park(self, notice_id: str, error: str, retry_at: datetime, record: ParkedRecord) -> None:
        """Park the notice with its record (status deferred, an attempt counted), to be tried again from `retry_at`."""
        parked = _parked_columns(record)
        self._execute(
            _PARK,
            {**parked, "error": kept_text(error), "retry_at": retry_at, "notice_id": notice_id, "owner": self.owner},
        )

    def park_held(self, notice_id: str, holder: str, retry_at: datetime, record: ParkedRecord) -> bool:
        """Park a notice `holder` holds, only while it does and has recorded no outcome; whether it was parked."""
        values = {**_parked_columns(record), "retry_at": retry_at, "notice_id": notice_id, "holder": holder}
        return self._execute(_PARK_HELD, values) is not None

    def take_due(self, now: datetime, limit: int) -> list[ParkedRecord]:
        """Claim at most `limit` parked notices due by `now` no other notifier holds; their records, earliest first."""

        def take(connection: psycopg2.extensions.connection) -> list[tuple[Any, ...]]:
            with connection.cursor() as cursor:
                cursor.execute(_TAKE_DUE, {"owner": self.owner, "lease": self.lease, "now": now, "limit": limit})
                return sorted(cursor.fetchall(), key=lambda row: row[0])

        return [
            ParkedRecord(topic, partition, offset, _bytes(key), _bytes(value), decode_headers(headers), timestamp)
            for _, topic, partition, offset, key, value, headers, timestamp in self._run(take)
        ]

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


def notifier_id() -> str:
    """A name for one notifier in its claims: host, process id and a random part (process ids repeat in containers)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def _bytes(value: memoryview | bytes | None) -> bytes | None:
    """A bytea column's value as bytes."""
    return None if value is None else bytes(value)


def encode_headers(headers: Sequence[tuple[str, bytes | None]]) -> list[list[str | None]]:
    """A record's headers as the ledger's JSON keeps them: [key, base64 value or None] pairs."""
    return [[key, None if value is None else base64.b64encode(value).decode()] for key, value in headers]


def _parked_columns(record: ParkedRecord) -> dict[str, Any]:
    """The park's columns of a record: where it came from, its key, value, headers and timestamp."""
    return {
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "key": record.key,
        "value": record.value,
        "headers": Json(encode_headers(record.headers)),
        "timestamp": record.timestamp,
    }


def decode_headers(stored: Sequence[Sequence[str | None]] | None) -> tuple[tuple[str, bytes | None], ...]:
    """The headers `encode_headers` wrote, as a record carries them."""
    return tuple((str(key), None if value is None else base64.b64decode(value)) for key, value in stored or ())


# The columns later migrations added, each with what its absence means: a notifier newer than its database refuses.
_MIGRATED_COLUMNS = (
    (_CLAIM_COLUMNS, "no claim columns (migration 0016_delivery_ledger_claims)"),
    (_PARK_COLUMNS, "no columns to park deferred notices in (migration 0017_delivery_ledger_parked)"),
)


def _check_migrated_columns(connection: psycopg2.extensions.connection) -> None:
    """Raise a one-line UserError when the ledger lacks columns of a later migration (a database not migrated since)."""
    for statement, missing in _MIGRATED_COLUMNS:
        with connection.cursor() as cursor:
            try:
                cursor.execute(statement)
            except psycopg2.errors.UndefinedColumn:
                raise UserError(f"the delivery_ledger table has {missing}: run `lifecycle db migrate` first") from None
