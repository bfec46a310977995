"""`db migrate` leaves each role its rights: a writer its row of consumers/grants.py, the former app role none."""

from __future__ import annotations

from typing import Any

import pytest
from psycopg2 import sql

from consumers.grants import GRANTS
from consumers.roles import grant_privileges, privilege_statements
from lifecycle.db_logins import WRITERS, writer_role
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


def statements(settings: Settings = SETTINGS, former_app_role_exists: bool = True) -> list[str]:
    return [render(statement) for statement in privilege_statements(settings, former_app_role_exists)]


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


def test_the_former_app_role_loses_every_right_when_it_exists() -> None:
    texts = naming("lifecycle_app", statements())
    assert texts == [
        'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "lifecycle_app"',
        'REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM "lifecycle_app"',
        'ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM "lifecycle_app"',
    ]
    assert naming("lifecycle_app", statements(former_app_role_exists=False)) == []


def test_a_writer_that_kept_the_former_name_keeps_its_own_rights() -> None:
    reused = SETTINGS.replace(db_store_role="lifecycle_app")
    texts = naming("lifecycle_app", statements(reused))
    assert texts[-1] == 'GRANT SELECT, INSERT, UPDATE, DELETE ON "held_events" TO "lifecycle_app"'
    assert sum("REVOKE ALL ON ALL TABLES" in text for text in texts) == 1


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


def test_the_rights_change_in_one_transaction() -> None:
    cursor = RecordingCursor()

    class Connection:
        def cursor(self) -> RecordingCursor:
            return cursor

    grant_privileges(Connection(), SETTINGS)  # type: ignore[arg-type]

    body = cursor.executed[cursor.executed.index("BEGIN") + 1 : -1]
    assert cursor.executed[-1] == "COMMIT"
    assert body == statements()
