"""`db migrate` leaves each role its rights: a writer its rows of consumers/grants.py, the former role until revoked."""

from __future__ import annotations

import argparse
from typing import Any

import pytest
from psycopg2 import sql

from consumers.db import add_arguments, migrate
from consumers.grants import GRANTS
from consumers.roles import GRANT_LOCK_KEY, ensure_roles, grant_privileges, privilege_statements
from lifecycle.db_logins import WRITERS, role_field, writer_role
from lifecycle.errors import UserError
from lifecycle.settings import Settings

pytestmark = pytest.mark.unit

SETTINGS = Settings.from_env({})


def render(statement: sql.Composable) -> str:
    """The statement's text without a connection (identifiers in double quotes)."""
    if isinstance(statement, sql.Composed):
        return "".join(render(part) for part in statement.seq)
    if isinstance(statement, sql.Identifier):
        return ".".join(f'"{name}"' for name in statement.strings)
    assert isinstance(statement, sql.SQL)
    return statement.string


def statements(settings: Settings = SETTINGS, revoke_former_role: bool = False) -> list[str]:
    return [render(statement) for statement in privilege_statements(settings, revoke_former_role)]


def naming(role: str, texts: list[str]) -> list[str]:
    return [text for text in texts if text.endswith(f'"{role}"')]


def test_the_statements_run_as_the_owner() -> None:
    texts = statements()
    assert texts[0] == 'SET ROLE "lifecycle_owner"'
    assert texts[-1] == "RESET ROLE"


@pytest.mark.parametrize("process", WRITERS)
def test_each_writer_loses_every_right_then_gets_its_rows_of_the_grant_table(process: str) -> None:
    role = writer_role(SETTINGS, process)
    texts = naming(role, statements())
    revokes = [text for text in texts if "REVOKE ALL" in text]
    grants = [text for text in texts if text.startswith("GRANT")]

    assert texts == revokes + grants  # stripped first: a right dropped from the table goes
    assert len(revokes) == 3
    assert any("DEFAULT PRIVILEGES" in text for text in revokes)  # no rights on tables made later
    expected = [f'GRANT {", ".join(rights)} ON "{table}" TO "{role}"' for table, rights in GRANTS[process].items()]
    assert grants == expected


def test_the_notifier_may_only_write_its_ledger_and_no_writer_gets_a_schema_wide_grant() -> None:
    texts = statements()
    assert [text for text in texts if text.startswith("GRANT") and text.endswith('"lifecycle_notifier"')] == [
        'GRANT SELECT, INSERT, UPDATE ON "delivery_ledger" TO "lifecycle_notifier"'
    ]
    for process in WRITERS:
        role = writer_role(SETTINGS, process)
        assert not [text for text in naming(role, texts) if "ALL TABLES" in text and text.startswith("GRANT")]


def test_the_read_only_role_gets_select_alone_and_nothing_on_the_migration_log() -> None:
    texts = naming("lifecycle_readonly", statements())
    assert texts == [
        'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "lifecycle_readonly"',
        'REVOKE ALL ON "_yoyo_migration", "_yoyo_log", "_yoyo_version", "yoyo_lock" FROM "lifecycle_readonly"',
        'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO "lifecycle_readonly"',
    ]


def test_the_former_app_role_keeps_its_rights_until_the_revoke_is_asked_for() -> None:
    # Two phases: processes still logging in as it keep working while their new DSNs roll out.
    assert naming("lifecycle_app", statements()) == []
    assert naming("lifecycle_app", statements(revoke_former_role=True)) == [
        'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "lifecycle_app"',
        'REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM "lifecycle_app"',
        'ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM "lifecycle_app"',
    ]


def final_rights(role: str, texts: list[str]) -> dict[str, set[str]]:
    """What `role` holds per table once the statements have run in order (a REVOKE ALL takes every right)."""
    rights: dict[str, set[str]] = {}
    for text in naming(role, texts):
        if text.startswith("REVOKE ALL ON ALL TABLES"):
            rights = {}
        elif text.startswith("GRANT") and " ON ALL " not in text:
            granted, _, rest = text.removeprefix("GRANT ").partition(" ON ")
            rights.setdefault(rest.split('"')[1], set()).update(granted.split(", "))
    return rights


def union(processes: tuple[str, ...]) -> dict[str, set[str]]:
    rights: dict[str, set[str]] = {}
    for process in processes:
        for table, granted in GRANTS[process].items():
            rights.setdefault(table, set()).update(granted)
    return rights


@pytest.mark.parametrize("sharing", [WRITERS, ("store", "scheduler"), ("scheduler", "notifier")])
def test_a_role_processes_share_is_stripped_once_then_granted_the_rights_of_each(sharing: tuple[str, ...]) -> None:
    shared = SETTINGS.replace(**{role_field(process): "lc_shared" for process in sharing})
    texts = statements(shared)

    assert final_rights("lc_shared", texts) == union(sharing)
    assert sum(text.startswith("REVOKE ALL ON ALL TABLES") for text in naming("lc_shared", texts)) == 1
    for process in set(WRITERS) - set(sharing):
        assert final_rights(writer_role(shared, process), texts) == union((process,))


@pytest.mark.parametrize("process", WRITERS)
@pytest.mark.parametrize("other", ["db_readonly_role", "db_owner_role"])
def test_a_writer_role_that_is_the_read_only_or_the_owner_role_is_refused_in_one_line(process: str, other: str) -> None:
    clash = SETTINGS.replace(**{role_field(process): getattr(SETTINGS, other)})

    class Untouched:
        def cursor(self) -> None:
            raise AssertionError("no statement may run")

    with pytest.raises(UserError) as refused:
        privilege_statements(clash)
    with pytest.raises(UserError):
        ensure_roles(Untouched(), clash)  # type: ignore[arg-type]
    message = str(refused.value)
    assert "\n" not in message
    assert f"LIFECYCLE_DB_{process.upper()}_ROLE and LIFECYCLE_{other.upper()} are both" in message


class RecordingCursor:
    """Records what runs; every probe answers true (the former app role exists)."""

    def __init__(self) -> None:
        self.executed: list[str] = []

    def __enter__(self) -> RecordingCursor:
        return self

    def __exit__(self, *_exc: object) -> None:
        return None

    def execute(self, statement: Any, _params: Any = None) -> None:
        self.executed.append(statement if isinstance(statement, str) else render(statement))

    def fetchone(self) -> tuple[bool]:
        return (True,)


class Connection:
    def __init__(self) -> None:
        self.recording = RecordingCursor()

    def cursor(self) -> RecordingCursor:
        return self.recording


def test_the_rights_change_in_one_transaction_behind_a_lock() -> None:
    connection = Connection()
    grant_privileges(connection, SETTINGS)  # type: ignore[arg-type]

    executed = connection.recording.executed
    begin, commit = executed.index("BEGIN"), executed.index("COMMIT")
    # Two migrations at once: the second waits here, not failing with "tuple concurrently updated".
    assert executed[begin + 1] == "SELECT pg_advisory_xact_lock(%s)"
    assert executed[begin + 2 : commit] == statements()
    assert GRANT_LOCK_KEY.bit_length() < 64


def test_a_former_role_with_rights_is_named_in_one_line_with_how_to_revoke_it(caplog: pytest.LogCaptureFixture) -> None:
    grant_privileges(Connection(), SETTINGS)  # type: ignore[arg-type]

    [line] = [record.getMessage() for record in caplog.records if "lifecycle_app" in record.getMessage()]
    assert "still has its rights" in line
    assert "lifecycle db migrate --revoke-former-role" in line


def test_the_revoke_strips_the_former_role_in_the_grant_transaction() -> None:
    connection = Connection()
    grant_privileges(connection, SETTINGS, revoke_former_role=True)  # type: ignore[arg-type]

    executed = connection.recording.executed
    body = executed[executed.index("BEGIN") + 2 : executed.index("COMMIT")]
    assert body == statements(revoke_former_role=True)


def test_a_writer_that_kept_the_former_name_keeps_its_own_rights() -> None:
    reused = SETTINGS.replace(db_store_role="lifecycle_app")
    connection = Connection()
    grant_privileges(connection, reused, revoke_former_role=True)  # type: ignore[arg-type]

    texts = naming("lifecycle_app", connection.recording.executed)
    assert texts[-1] == 'GRANT SELECT, INSERT, UPDATE, DELETE ON "held_events" TO "lifecycle_app"'
    assert sum("REVOKE ALL ON ALL TABLES" in text for text in texts) == 1


def test_db_migrate_takes_the_revoke_flag_and_refuses_it_without_the_roles() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)

    assert parser.parse_args(["migrate", "--revoke-former-role"]).revoke_former_role
    assert not parser.parse_args(["migrate"]).revoke_former_role
    with pytest.raises(UserError, match="--revoke-former-role changes roles: drop --no-roles"):
        migrate(SETTINGS, with_roles=False, revoke_former_role=True)
