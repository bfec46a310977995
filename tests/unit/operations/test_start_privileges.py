"""Store, scheduler and notifier refuse to start, in one line, when their role lacks a right of their grant rows."""

from __future__ import annotations

from typing import Any

import pytest

from consumers.grants import GRANTS
from consumers.privileges import check_privileges, refusal
from lifecycle.db_logins import WRITERS
from lifecycle.errors import UserError

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("process", WRITERS)
def test_a_role_with_every_right_passes(process: str) -> None:
    assert refusal(process, "lifecycle_owner", lambda _table, _right: True) is None


def test_a_missing_right_is_one_line_naming_the_role_the_table_the_right_and_the_fixes() -> None:
    line = refusal("notifier", "lifecycle_store", lambda table, right: right == "SELECT")

    assert line == (
        "the notifier's role lifecycle_store lacks INSERT, UPDATE on delivery_ledger: run `lifecycle db migrate`, "
        "or log in as the notifier's own role (LIFECYCLE_DATABASE_NOTIFIER_URL)"
    )


def test_every_table_lacking_a_right_is_named() -> None:
    line = refusal(
        "scheduler", "someone", lambda table, right: not (table.startswith("scheduler_") and right != "SELECT")
    )

    assert line is not None
    assert "lacks INSERT, UPDATE on scheduler_watermarks; INSERT, UPDATE, DELETE on scheduler_ticks:" in line


def test_a_missing_table_asks_for_the_migration() -> None:
    line = refusal("notifier", "lifecycle_notifier", lambda _table, _right: None)

    assert line == "the delivery_ledger table does not exist: run `lifecycle db migrate` first"


class AnsweringCursor:
    """Answers the rights query as a role lacking `lacking` would, and records the parameters asked."""

    def __init__(self, lacking: set[tuple[str, str]]) -> None:
        self.lacking = lacking
        self.asked: list[tuple[str, str]] = []

    def __enter__(self) -> AnsweringCursor:
        return self

    def __exit__(self, *_exc: object) -> None:
        return None

    def execute(self, _statement: str, params: tuple[list[str], list[str]]) -> None:
        self.asked = list(zip(*params, strict=True))

    def fetchall(self) -> list[tuple[Any, ...]]:
        return [("lifecycle_x", table, right, (table, right) not in self.lacking) for table, right in self.asked]


class FakeConnection:
    autocommit = True

    def __init__(self, cursor: AnsweringCursor) -> None:
        self._cursor = cursor

    def cursor(self) -> AnsweringCursor:
        return self._cursor


@pytest.mark.parametrize("process", WRITERS)
def test_the_check_asks_for_every_right_of_the_grant_rows(process: str) -> None:
    cursor = AnsweringCursor(set())
    check_privileges(FakeConnection(cursor), process)

    assert cursor.asked == [(table, right) for table, rights in GRANTS[process].items() for right in rights]


def test_the_check_refuses_with_the_role_the_database_names() -> None:
    with pytest.raises(UserError, match=r"^the store's role lifecycle_x lacks DELETE on held_events: run"):
        check_privileges(FakeConnection(AnsweringCursor({("held_events", "DELETE")})), "store")


class StartCursor(AnsweringCursor):
    """Also answers the store's schema probe (every table there)."""

    def execute(self, statement: str, params: Any = None) -> None:
        if "has_table_privilege" in statement:
            super().execute(statement, params)

    def fetchone(self) -> tuple[bool]:
        return (True,)


class StartConnection(FakeConnection):
    closed = False

    def rollback(self) -> None: ...

    def close(self) -> None: ...


def start_checks() -> dict[str, Any]:
    from consumers.notifier.ledger import PostgresLedger
    from consumers.scheduler.command import _check_database
    from consumers.store.command import check_schema
    from lifecycle.settings import Settings

    return {
        "store": lambda: check_schema("postgresql://x@db.example/lifecycle"),
        "scheduler": lambda: _check_database(Settings.from_env({"LIFECYCLE_DATABASE_URL": "postgresql://x@h/d"})),
        "notifier": lambda: PostgresLedger("postgresql://x@db.example/lifecycle").check(),
    }


@pytest.mark.parametrize("process", WRITERS)
def test_each_process_checks_its_rights_where_it_checks_its_database_at_start(
    process: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    table, rights = next(iter(GRANTS[process].items()))
    cursor = StartCursor({(table, rights[-1])})
    monkeypatch.setattr("psycopg2.connect", lambda *_args, **_kwargs: StartConnection(cursor))

    with pytest.raises(UserError, match=rf"^the {process}'s role lifecycle_x lacks {rights[-1]} on {table}: run"):
        start_checks()[process]()
