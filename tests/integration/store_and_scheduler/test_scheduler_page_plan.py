"""A sweep's page of candidates on 50,000 entitlements: read through indexes, never the whole table, and the same
rows, page by page, as the one OR the scheduler queried before (run with -s to see the plans)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import psycopg2
import pytest
from pg_admin import run_sql, with_role
from psycopg2.extensions import connection as Connection  # noqa: N812 - the driver's own class name

from consumers.database import admin_dsn
from consumers.db import MIGRATION_TABLE, MIGRATIONS_DIR, migrate
from consumers.scheduler.queries import PAGE_ROWS, Candidate, candidates
from lifecycle.rules.due import SnapshotDates
from lifecycle.settings import Settings

pytestmark = pytest.mark.integration

ROWS = 50_000
EXPIRING_UNTIL = date(2027, 4, 7)  # a window that crosses midnight on 2027-03-08, reminders 30 days ahead
CHANGED_SINCE = datetime(2027, 3, 8, 10, 50, tzinfo=UTC)
VERSIONS = [("backup", "10"), ("backup", "9")]  # support ended; nothing is on 9
# Stored in an order unrelated to serial, as a table updated for years is: 90% active, expiring over four years
# (2% within the window), 1 in 500 on version 10, 1 in 500 stored since the last sweep (1 in 5000 all three).
FILL = """
INSERT INTO entitlements (serial, account_id, status, program, line, family, version, channel, starts_on, expires_on,
    version_supported, revision, updated_at, stored_at, document)
SELECT 'SN-' || lpad(n::text, 7, '0'), 'acct-' || mod(n, 997),
    CASE WHEN mod(n, 10) = 0 THEN 'expired' ELSE 'active' END,
    'advantage_premier', 'business', 'backup', CASE WHEN mod(n, 500) = 0 THEN '10' ELSE '11' END, 'direct',
    date '2026-01-01',
    CASE WHEN mod(n, 1000) = 500 THEN NULL WHEN mod(n, 5000) = 1 THEN date '2027-03-20'
         ELSE date '2027-03-09' + mod(n * 7, 1460) END,
    mod(n, 7) <> 0, 1, timestamptz '2027-01-01',
    CASE WHEN mod(n, 500) = 7 OR mod(n, 5000) = 1 THEN timestamptz '2027-03-08 11:00Z'
         ELSE timestamptz '2027-01-01' END,
    '{}'
FROM generate_series(1, %(rows)s) AS n ORDER BY md5(n::text);
ANALYZE entitlements;
"""
# The query the scheduler ran before: one OR, which only the primary key's index can read in serial order.
ONE_OR = """
SELECT serial, status, program, expires_on, family, version, version_supported, stored_at >= %(changed_since)s
FROM entitlements
WHERE serial > %(after)s AND (
    (status = 'active' AND expires_on <= %(expiring_until)s)
    OR stored_at >= %(changed_since)s
    OR (version_supported AND (family, version) IN (SELECT * FROM unnest(%(families)s::text[], %(versions)s::text[])))
)
ORDER BY serial LIMIT %(limit)s
"""


PLANS: list[tuple[dict[str, Any], str]] = []


class Explained(psycopg2.extensions.cursor):
    """A cursor that first runs each statement under EXPLAIN ANALYZE and keeps its plan (JSON and text) in PLANS."""

    def execute(self, query: Any, vars: Any = None) -> None:
        super().execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {query}", vars)
        [[[plan]]] = self.fetchall()
        super().execute(f"EXPLAIN (ANALYZE, BUFFERS) {query}", vars)
        PLANS.append((plan["Plan"], "\n".join(line for (line,) in self.fetchall())))
        super().execute(query, vars)


def nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """A plan's node and every node below it."""
    yield plan
    for child in plan.get("Plans", ()):
        yield from nodes(child)


def rows_visited(plan: dict[str, Any]) -> int:
    """Rows of entitlements the plan's scans looked at: those they returned and those their filters removed."""
    return sum(
        (node["Actual Rows"] + node.get("Rows Removed by Filter", 0) + node.get("Rows Removed by Index Recheck", 0))
        * node["Actual Loops"]
        for node in nodes(plan)
        if node.get("Relation Name") == "entitlements"
    )


@pytest.fixture
def big_table(settings: Settings) -> str:
    """A migrated database of ROWS entitlements; the DSN of the scheduler's role."""
    migrate(settings)
    admin = settings.database_url.get_secret_value()
    connection = psycopg2.connect(admin)
    try:
        with connection.cursor() as cursor:
            cursor.execute(FILL, {"rows": ROWS})
        connection.commit()
    finally:
        connection.close()
    return with_role(admin, settings.db_scheduler_role)


def page(connection: Connection, after: str, limit: int, *, watermark: bool = True) -> list[Candidate]:
    """The candidates after `after` as the scheduler reads them (with a watermark: a later sweep; else a first)."""
    return candidates(
        connection,
        expiring_until=EXPIRING_UNTIL,
        changed_since=CHANGED_SINCE if watermark else None,
        versions=VERSIONS,
        after_serial=after,
        limit=limit,
    )


def one_or(connection: Connection, after: str, limit: int) -> list[Candidate]:
    """The candidates after `after` as the one OR found them."""
    params = {"after": after, "limit": limit, "changed_since": CHANGED_SINCE, "expiring_until": EXPIRING_UNTIL}
    params |= {"families": [family for family, _ in VERSIONS], "versions": [version for _, version in VERSIONS]}
    with connection.cursor() as cursor:
        cursor.execute(ONE_OR, params)
        return [Candidate(row[0], SnapshotDates(*row[1:7]), row[7]) for row in cursor.fetchall()]


def test_a_page_reads_through_indexes_not_the_whole_table(big_table: str) -> None:
    PLANS.clear()
    connection = psycopg2.connect(big_table, cursor_factory=Explained)
    try:
        first = page(connection, "", PAGE_ROWS)
        middle = page(connection, "SN-0025000", PAGE_ROWS)
        every_row = page(connection, "SN-0025000", PAGE_ROWS, watermark=False)  # a first sweep: every row is one
    finally:
        connection.close()
    assert len(every_row) == PAGE_ROWS
    for (plan, text), rows in zip(PLANS, (first, middle, every_row), strict=True):
        print(f"\n{len(rows)} candidates, {rows_visited(plan)} rows of entitlements visited:\n{text}")
        scans = {node["Node Type"] for node in nodes(plan) if node.get("Relation Name") == "entitlements"}
        assert "Seq Scan" not in scans, text
        assert rows_visited(plan) <= max(len(rows), ROWS // 20), text  # a few more than the rows due in the window


@pytest.mark.parametrize("limit", [7, 500, PAGE_ROWS])
def test_pages_hold_the_rows_of_the_one_or(big_table: str, limit: int) -> None:
    connection = psycopg2.connect(big_table)
    try:
        total = len(one_or(connection, "", ROWS))
        after, pages = "", 0
        while True:
            expected = one_or(connection, after, limit)
            assert page(connection, after, limit) == expected, f"the page after {after!r}"
            pages += 1
            if len(expected) < limit:
                break
            after = expected[-1].serial
    finally:
        connection.close()
    assert (pages, total > 1000) == (total // limit + 1, True)


def test_a_version_named_twice_loses_no_row(big_table: str) -> None:
    connection = psycopg2.connect(big_table)
    try:
        # A window where only rows of an ended version are candidates: a page of them, the version named once, twice.
        pages = [
            candidates(
                connection,
                expiring_until=date(2000, 1, 1),
                changed_since=datetime(2100, 1, 1, tzinfo=UTC),
                versions=versions,
                after_serial="",
                limit=2,
            )
            for versions in (VERSIONS, [*VERSIONS, *VERSIONS])
        ]
    finally:
        connection.close()
    assert [c.serial for c in pages[0]] == ["SN-0000500", "SN-0001000"]
    assert pages[1] == pages[0]


def test_the_index_migration_rolls_back_and_applies_again(settings: Settings) -> None:
    from yoyo import read_migrations
    from yoyo.backends import get_backend_class
    from yoyo.connections import parse_uri

    migrate(settings)
    indexes = "SELECT indexname FROM pg_indexes WHERE indexname LIKE 'entitlements_supported%' ORDER BY 1"
    dsn = settings.database_url.get_secret_value()
    uri = parse_uri(admin_dsn(settings))._replace(scheme="postgresql")
    uri = uri._replace(args={**uri.args, "options": f"-c role={settings.db_owner_role}"})  # as `db migrate` does
    backend = get_backend_class("postgresql")(uri, MIGRATION_TABLE)
    ours = read_migrations(str(MIGRATIONS_DIR)).filter(lambda m: m.id == "0015_entitlements_supported_by_serial")
    try:
        with backend.lock():
            backend.rollback_migrations(backend.to_rollback(ours))
        rolled_back = run_sql(dsn, indexes)
        with backend.lock():
            backend.apply_migrations(backend.to_apply(ours))
    finally:
        backend.connection.close()
    assert rolled_back == [("entitlements_supported_by_version",)]
    assert run_sql(dsn, indexes) == [("entitlements_supported_by_version_serial",)]
