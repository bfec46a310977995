"""The entitlement repository in PostgreSQL: `entitlements`, `entitlement_revisions`, `releases`, `held_events`."""

from __future__ import annotations

import contextlib
from typing import Any

import psycopg2
from psycopg2.extensions import connection as Connection  # noqa: N812 - the driver's own class name

from consumers.store.holds import HeldRow
from consumers.store.mapping import Batch, ReleaseRow
from consumers.store.repository import write_batch
from consumers.store.sink import PROGRAM_LIMITS

# Errors after which the connection is not to be trusted: the next call opens a new one.
CONNECTION_ERRORS = (psycopg2.OperationalError, psycopg2.InterfaceError)


class PostgresEntitlements:
    """One connection (opened on first use, reopened after a connection error); each call is one transaction."""

    def __init__(self, dsn: str, application_name: str = "lifecycle-store") -> None:
        self._dsn = dsn
        self._application_name = application_name
        self._connection: Connection | None = None

    def _connect(self) -> Connection:
        if self._connection is None or self._connection.closed:
            self._connection = psycopg2.connect(self._dsn, connect_timeout=5, application_name=self._application_name)
            self._connection.autocommit = False
        return self._connection

    def write(self, batch: Batch) -> int:
        try:
            return write_batch(self._connect(), batch)
        except PROGRAM_LIMITS:
            raise  # a row PostgreSQL cannot index or plan: the connection is fine (rolled back)
        except CONNECTION_ERRORS:
            self.close()
            raise

    def _rows(self, statement: str, *parameters: Any) -> list[tuple[Any, ...]]:
        connection = self._connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute(statement, parameters)
                rows: list[tuple[Any, ...]] = cursor.fetchall()
            connection.rollback()  # a read: end the transaction it opened
            return rows
        except CONNECTION_ERRORS:
            self.close()
            raise

    def current(self, serial: str) -> dict[str, Any] | None:
        rows = self._rows("SELECT document FROM entitlements WHERE serial = %s", serial)
        return dict(rows[0][0]) if rows else None

    def revisions(self, serial: str) -> list[int]:
        statement = "SELECT revision FROM entitlement_revisions WHERE serial = %s ORDER BY revision"
        return [revision for (revision,) in self._rows(statement, serial)]

    def release(self, family: str, version: str) -> ReleaseRow | None:
        statement = (
            "SELECT family, version, line, released_on, event_id FROM releases WHERE family = %s AND version = %s"
        )
        rows = self._rows(statement, family, version)
        return ReleaseRow(*rows[0]) if rows else None

    def held(self, serial: str) -> list[HeldRow]:
        columns = "serial, event_id, type, occurred_at, held_since"
        statement = f"SELECT {columns} FROM held_events WHERE serial = %s ORDER BY event_id"
        return [HeldRow(*row) for row in self._rows(statement, serial)]

    def close(self) -> None:
        """Close the connection, if open."""
        if self._connection is not None:
            with contextlib.suppress(psycopg2.Error):
                self._connection.close()
        self._connection = None
