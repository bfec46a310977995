"""After `db migrate` each process's role may do exactly what consumers/grants.py gives it, PostgreSQL enforcing it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import psycopg2
import psycopg2.errors
import pytest
from ledger_contract import sample_notice
from pg_admin import run_sql as run
from pg_admin import with_role
from store_samples import encoded, holds, release, snapshot

from consumers.db import migrate
from consumers.grants import GRANTS
from consumers.notifier.ledger import PostgresLedger
from consumers.privileges import check_privileges
from consumers.scheduler import queries
from consumers.store.command import check_schema
from consumers.store.holds import holds_record
from consumers.store.mapping import Batch, entitlement_row, release_row
from consumers.store.repository import write_batch
from lifecycle.db_logins import WRITERS, role_field, writer_role
from lifecycle.errors import UserError
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
def former_role(settings: Settings, topic_prefix: str) -> Iterator[Settings]:
    """This test's database migrated, and a former app role of its own with every right, as the shared role had."""
    former = f"lc_former_{topic_prefix}"
    admin = settings.database_url.get_secret_value()
    run(admin, f'CREATE ROLE "{former}" LOGIN')
    try:
        migrate(settings)
        # What the role store, scheduler and notifier shared was given: every right, on later tables too.
        run(admin, f'GRANT ALL ON ALL TABLES IN SCHEMA public TO "{former}"')
        owner = settings.db_owner_role
        run(admin, f'ALTER DEFAULT PRIVILEGES FOR ROLE "{owner}" IN SCHEMA public GRANT ALL ON TABLES TO "{former}"')
        yield settings.replace(db_app_role=former)
    finally:
        run(admin, f'DROP OWNED BY "{former}"')
        run(admin, f'DROP ROLE "{former}"')


@pytest.fixture
def migrated(former_role: Settings) -> Settings:
    """Migrated again once every process has its own role: the former role's rights revoked."""
    migrate(former_role, revoke_former_role=True)
    return former_role


def columns(admin: str) -> dict[str, str]:
    """Each table of the schema (the migration log left out) and one of its columns."""
    rows = run(
        admin,
        "SELECT table_name, min(column_name) FROM information_schema.columns WHERE table_schema = 'public' "
        "AND table_name IN (SELECT tablename FROM pg_tables WHERE schemaname = 'public') GROUP BY table_name",
    )
    return {str(table): str(column) for table, column in rows if "yoyo" not in str(table)}


def former_rights(settings: Settings) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """The tables the former app role has a right on, and the count of its default privileges."""
    admin, former = settings.database_url.get_secret_value(), settings.db_app_role
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
    return on_tables, defaults


def test_the_former_app_role_keeps_no_right_on_any_table(migrated: Settings) -> None:
    assert former_rights(migrated) == ([], [(0,)])


def test_a_migrate_leaves_the_former_role_its_rights_until_the_revoke(
    former_role: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    migrate(former_role)  # the upgrade's first phase: old pods keep working

    on_tables, defaults = former_rights(former_role)
    assert {str(table) for (table,) in on_tables} >= {table for rows in GRANTS.values() for table in rows}
    assert defaults != [(0,)]
    lines = [record.getMessage() for record in caplog.records if former_role.db_app_role in record.getMessage()]
    assert len(lines) == 1
    assert "--revoke-former-role" in lines[0]

    migrate(former_role, revoke_former_role=True)
    caplog.clear()
    migrate(former_role)

    assert former_rights(former_role) == ([], [(0,)])
    assert not [record for record in caplog.records if "still has its rights" in record.getMessage()]


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
        *((dsn, "CREATE TEMP TABLE intruder (id int)") for dsn in dsns.values()),
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
        assert [candidate.serial for candidate in found] == ["SN-G"]
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


def test_a_process_whose_role_lacks_a_right_refuses_to_start_in_one_line(migrated: Settings) -> None:
    dsns = logins(migrated)
    ledger = PostgresLedger(dsns["store"])  # the notifier, given the store's DSN
    try:
        with pytest.raises(UserError) as refused:
            ledger.check()
    finally:
        ledger.close()
    store_role = writer_role(migrated, "store")
    assert str(refused.value) == (
        f"the notifier's role {store_role} lacks SELECT, INSERT, UPDATE on delivery_ledger: "
        "run `lifecycle db migrate`, or log in as the notifier's own role (LIFECYCLE_DATABASE_NOTIFIER_URL)"
    )
    with pytest.raises(UserError, match=r"^the store's role .* lacks .*: run `lifecycle db migrate`"):
        check_schema(dsns["scheduler"])
    admin = migrated.database_url.get_secret_value()
    for process in WRITERS:  # each process's own role, and the superuser, pass
        for dsn in (dsns[process], admin):
            connection = psycopg2.connect(dsn)
            try:
                check_privileges(connection, process)
            finally:
                connection.close()


def test_a_role_the_three_processes_share_may_do_what_each_of_them_does(settings: Settings, topic_prefix: str) -> None:
    shared_role = f"lc_shared_{topic_prefix}"
    shared = settings.replace(**{role_field(process): shared_role for process in WRITERS})
    admin = settings.database_url.get_secret_value()
    try:
        migrate(shared)
        connection = psycopg2.connect(admin)
        try:
            with connection.cursor() as cursor:
                cursor.execute(f'SET ROLE "{shared_role}"')
            for process in WRITERS:
                check_privileges(connection, process)
        finally:
            connection.close()
    finally:
        run(admin, f'DROP OWNED BY "{shared_role}"')
        run(admin, f'DROP ROLE "{shared_role}"')
