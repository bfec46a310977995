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
# A sweep whose client vanished (its host lost, a half-open connection) keeps its session, and the lock, until the
# server finds the client gone: by default after two hours of TCP keepalives. This session's own settings find it
# in about a minute (they apply to TCP connections; a Unix socket breaks at once anyway).
_KEEPALIVES = "SET tcp_keepalives_idle = 30; SET tcp_keepalives_interval = 10; SET tcp_keepalives_count = 3"
# The session that holds the lock: pg_locks shows a bigint key as its high and low 32 bits.
_HOLDER = """
SELECT a.pid, a.application_name, a.state, round(extract(epoch FROM clock_timestamp() - a.state_change))
FROM pg_locks AS l JOIN pg_stat_activity AS a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %(high)s AND l.objid = %(low)s AND l.objsubid = 1
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""
STALE_SECONDS = 300  # a sweep idle this long between its statements is no sweep: its client is gone


@contextlib.contextmanager
def sweep_lock(connection: Connection) -> Iterator[bool]:
    """Whether this connection took the sweep lock (False at once when another session holds it); held in the block."""
    with connection.cursor() as cursor:
        cursor.execute(_KEEPALIVES)
        connection.commit()  # a SET in a transaction rolled back is undone: committed, it lasts the session
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


def lock_holder(connection: Connection) -> tuple[str, bool]:
    """Who holds the sweep lock, in words, and whether that session has sat idle past STALE_SECONDS."""
    with connection.cursor() as cursor:
        cursor.execute(_HOLDER, {"high": SWEEP_LOCK_KEY >> 32, "low": SWEEP_LOCK_KEY & 0xFFFF_FFFF})
        row = cursor.fetchone()
    connection.rollback()
    if row is None:
        return "a session now gone", False
    pid, application, state, idle = row
    stale = state == "idle" and idle is not None and idle >= STALE_SECONDS
    return f"session {pid} ({application or 'no application name'}, {state} for {int(idle or 0)} s)", stale
