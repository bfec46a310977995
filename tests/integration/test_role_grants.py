"""After `db migrate` each process's role may do exactly what consumers/grants.py gives it, PostgreSQL enforcing it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import psycopg2
import psycopg2.errors
import pytest
from ledger_contract import sample_notice
from pg_admin import with_role
from store_samples import encoded, holds, release, snapshot

from consumers.db import migrate
from consumers.grants import GRANTS
from consumers.notifier.ledger import PostgresLedger
from consumers.scheduler import queries
from consumers.store.holds import holds_record
from consumers.store.mapping import Batch, entitlement_row, release_row
from consumers.store.repository import write_batch
from lifecycle.db_logins import WRITERS, writer_role
from lifecycle.settings import Settings

pytestmark = pytest.mark.integration

RIGHTS = ("SELECT", "INSERT", "UPDATE", "DELETE")
# Each right on its own, on no row: PostgreSQL checks the privilege before it looks for rows.
PROBES = {
    "SELECT": "SELECT count(*) FROM {table}",
    "INSERT": "INSERT INTO {table} ({column}) SELECT NULL WHERE false",
    "UPDATE": "UPDATE {table} SET {column} = NULL WHERE false",
    "DELETE": "DELETE FROM {table} WHERE false",
}


@pytest.fixture
def migrated(settings: Settings, topic_prefix: str) -> Iterator[Settings]:
    """This test's database migrated; a former app role of its own had every right and keeps none."""
    former = f"lc_former_{topic_prefix}"
    admin = settings.database_url.get_secret_value()
    run(admin, f'CREATE ROLE "{former}" LOGIN')
    try:
        migrate(settings)
        # What the role store, scheduler and notifier shared was given: every right, on later tables too.
        run(admin, f'GRANT ALL ON ALL TABLES IN SCHEMA public TO "{former}"')
        owner = settings.db_owner_role
        run(admin, f'ALTER DEFAULT PRIVILEGES FOR ROLE "{owner}" IN SCHEMA public GRANT ALL ON TABLES TO "{former}"')
        migrated = settings.replace(db_app_role=former)
        migrate(migrated)
        yield migrated
    finally:
        run(admin, f'DROP OWNED BY "{former}"')
        run(admin, f'DROP ROLE "{former}"')


def run(dsn: str, statement: str, *, read_write: bool = False) -> list[tuple[object, ...]]:
    """One statement committed alone; `read_write`: even in a session whose transactions default to read-only."""
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


def columns(admin: str) -> dict[str, str]:
    """Each table of the schema (the migration log left out) and one of its columns."""
    rows = run(
        admin,
        "SELECT table_name, min(column_name) FROM information_schema.columns WHERE table_schema = 'public' "
        "AND table_name IN (SELECT tablename FROM pg_tables WHERE schemaname = 'public') GROUP BY table_name",
    )
    return {str(table): str(column) for table, column in rows if "yoyo" not in str(table)}


def test_the_former_app_role_keeps_no_right_on_any_table(migrated: Settings) -> None:
    admin, former = migrated.database_url.get_secret_value(), migrated.db_app_role
    rights = "SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER"
    on_tables = run(
        admin,
        f"SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' "
        f"AND has_table_privilege('{former}', oid, '{rights}')",
    )
    defaults = run(
        admin,
        f"SELECT count(*) FROM pg_default_acl, aclexplode(defaclacl) AS acl WHERE acl.grantee = '{former}'::regrole",
    )
    assert (on_tables, defaults) == ([], [(0,)])


def logins(settings: Settings) -> dict[str, str]:
    """Process -> the DSN of its role: the writers' and the dashboard's read-only one."""
    admin = settings.database_url.get_secret_value()
    roles = {process: writer_role(settings, process) for process in WRITERS} | {"dashboard": settings.db_readonly_role}
    return {process: with_role(admin, role) for process, role in roles.items()}


def allowed(dsn: str, statement: str) -> bool:
    """Whether the role may run `statement` (a read-write transaction, so that only privileges decide)."""
    try:
        run(dsn, statement, read_write=True)
    except psycopg2.errors.InsufficientPrivilege:
        return False
    return True


def test_each_role_may_do_exactly_what_the_grant_table_says_on_every_table(migrated: Settings) -> None:
    tables = columns(migrated.database_url.get_secret_value())
    assert set(tables) == {table for rows in GRANTS.values() for table in rows}
    found: dict[tuple[str, str, str], bool] = {}
    expected: dict[tuple[str, str, str], bool] = {}
    for process, dsn in logins(migrated).items():
        for table, column in tables.items():
            for right in RIGHTS:
                found[process, table, right] = allowed(dsn, PROBES[right].format(table=table, column=column))
                granted = GRANTS.get(process, {}).get(table, ()) if process != "dashboard" else ("SELECT",)
                expected[process, table, right] = right in granted
    assert {key for key, ok in found.items() if ok} == {key for key, ok in expected.items() if ok}


def test_what_a_process_must_not_do_is_refused(migrated: Settings) -> None:
    dsns = logins(migrated)
    refused = [
        (dsns["notifier"], "INSERT INTO entitlements SELECT * FROM entitlements WHERE false"),
        (dsns["notifier"], "UPDATE entitlements SET status = 'expired'"),
        (dsns["store"], "DELETE FROM entitlement_revisions"),
        (dsns["store"], "DELETE FROM entitlements"),
        (dsns["store"], "SELECT count(*) FROM delivery_ledger"),
        (dsns["scheduler"], "UPDATE entitlements SET status = 'expired'"),
        (dsns["scheduler"], "INSERT INTO delivery_ledger (notice_id) VALUES ('n')"),
        (dsns["dashboard"], "INSERT INTO releases (family) VALUES ('f')"),
        (dsns["dashboard"], "DELETE FROM delivery_ledger"),
        *((dsn, "SELECT count(*) FROM _yoyo_migration") for dsn in dsns.values()),
        *((dsn, "CREATE TABLE intruder (id int)") for dsn in dsns.values()),
    ]
    for dsn, statement in refused:
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            run(dsn, statement, read_write=True)


def test_each_process_runs_its_own_statements_as_its_role(migrated: Settings) -> None:
    dsns = logins(migrated)
    store = psycopg2.connect(dsns["store"])
    try:
        entitlements = [entitlement_row(encoded(snapshot("SN-G", 1, expires_on="2027-03-15")))]
        held = [holds_record(encoded(holds("SN-H", ("rn-h", "renewal", "2027-01-01T09:00:00Z"))))]
        releases = [release_row(encoded(release("backup", "11", "2026-01-01")))]
        write_batch(store, Batch(entitlements=entitlements, releases=releases, holds=held))
        write_batch(store, Batch(holds=[holds_record(encoded(holds("SN-H")))]))  # no longer listed: deleted
    finally:
        store.close()
    scheduler = psycopg2.connect(dsns["scheduler"])
    try:
        as_of = datetime(2027, 3, 8, tzinfo=UTC)
        assert queries.load_catalog(scheduler) is not None
        versions = queries.supported_versions(scheduler)
        assert queries.held_since_cutoff(scheduler, as_of) == []
        found = queries.candidates(scheduler, expiring_until=as_of.date(), changed_since=None, versions=versions)
        assert [candidate.snapshot["serial"] for candidate in found] == ["SN-G"]
        queries.record_sent(scheduler, [{"event_id": "tick:SN-G", "serial": "SN-G"}], as_of.date(), as_of.date())
        queries.advance_watermark(scheduler, queries.Watermark(as_of, as_of), 1)
        assert queries.read_watermark(scheduler) == queries.Watermark(as_of, as_of)
    finally:
        scheduler.close()
    ledger = PostgresLedger(dsns["notifier"])
    try:
        ledger.check()
        notice = sample_notice()
        entry = ledger.begin(notice)
        assert entry.status == "pending"
        assert ledger.claim_recipient(notice["notice_id"], "someone@example.com", 20)
        ledger.record_sent(notice["notice_id"], "outbox", "<m@example>", "someone@example.com")
    finally:
        ledger.close()
