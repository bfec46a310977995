"""The PostgreSQL superuser DSN the tests make their databases with, and a DSN's database swapped for another."""

from __future__ import annotations

import os

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
