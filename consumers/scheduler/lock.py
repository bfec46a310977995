"""One sweep at a time across every scheduler on a database: a PostgreSQL advisory lock, taken without waiting.

The lock is session-level: a sweep commits once per page (what went out stays noted), so a transaction-level
lock would end with the first page. It is held by the sweep's own connection from before the sweep reads its
window until after the watermark moved, and PostgreSQL lets it go when that connection ends, however it ends.
`pg_try_advisory_lock` is executable by every role (PUBLIC): no grant is needed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import psycopg2
from psycopg2.extensions import connection as Connection  # noqa: N812 - the driver's own class name

# Advisory locks are per database; this key is "lcsweep" in ASCII (the roles' lock is "lcroles").
SWEEP_LOCK_KEY = 0x6C63_7377_6565_70


@contextlib.contextmanager
def sweep_lock(connection: Connection) -> Iterator[bool]:
    """Whether this connection took the sweep lock (False at once when another session holds it); held in the block."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", (SWEEP_LOCK_KEY,))
        row = cursor.fetchone()
    connection.rollback()  # a session lock outlives the transaction: the sweep starts afresh
    taken = bool(row and row[0])
    try:
        yield taken
    finally:
        if taken:
            _unlock(connection)


def _unlock(connection: Connection) -> None:
    """Let the lock go; on a broken connection there is nothing to do, its session's end lets it go."""
    with contextlib.suppress(psycopg2.Error):
        connection.rollback()  # out of a failed sweep's aborted transaction, if any
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", (SWEEP_LOCK_KEY,))
        connection.commit()
