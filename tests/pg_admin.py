"""The tests' PostgreSQL superuser DSN, a DSN with its database or role swapped, and one statement run."""

from __future__ import annotations

import os
from typing import Any

import psycopg2

from lifecycle.settings import Settings
from lifecycle.stack.credentials import admin_dsn

# LIFECYCLE_TEST_PG_ADMIN_URL, else the local stack's superuser (password file under LIFECYCLE_HOME), read when
# the tests start, before any test sets a LIFECYCLE_HOME of its own.
ADMIN_URL = os.environ.get("LIFECYCLE_TEST_PG_ADMIN_URL") or admin_dsn(Settings.from_env(), "postgres")


def with_database(url: str, database: str) -> str:
    """The same URL naming another database; the query (passfile=/…, which may hold slashes) is kept."""
    address, _, query = url.partition("?")
    base = address.rpartition("/")[0]
    return f"{base}/{database}" + (f"?{query}" if query else "")


def with_role(url: str, role: str) -> str:
    """The same URL logging in as `role` (its password from the same password file)."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{role}@{rest.partition('@')[2]}"


def run_sql(dsn: str, statement: str, *, read_write: bool = False) -> list[tuple[Any, ...]]:
    """One statement committed alone, its rows; `read_write`: even in a session whose transactions default to
    read-only."""
    connection = psycopg2.connect(dsn)
    try:
        with connection.cursor() as cursor:
            if read_write:
                cursor.execute("SET default_transaction_read_only = off")
                connection.commit()
            cursor.execute(statement)
            rows = cursor.fetchall() if cursor.description else []
        connection.commit()
        return rows
    finally:
        connection.close()
