"""Each process's role is granted, per table, exactly what that process's SQL does: read from its code."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import pytest

from consumers.db import MIGRATIONS_DIR
from consumers.grants import GRANTS
from lifecycle.db_logins import WRITERS, password_field, role_field
from lifecycle.settings import Settings

pytestmark = pytest.mark.unit

CONSUMERS = Path(__file__).parents[3] / "consumers"
NAME = r"([a-z_][a-z0-9_]*)"
INSERTS = re.compile(rf"\bINSERT\s+INTO\s+{NAME}")
UPDATES = re.compile(rf"(?<!DO )\bUPDATE\s+{NAME}\s+SET\b")
DELETES = re.compile(rf"\bDELETE\s+FROM\s+{NAME}")
READS = re.compile(rf"(?<!DELETE )\b(?:FROM|JOIN)\s+{NAME}")
# A WHERE or RETURNING reads the rows a statement writes: PostgreSQL asks for SELECT too, as for an upsert.
READS_ROWS = re.compile(r"\b(?:WHERE|RETURNING)\b")
UPSERT = re.compile(r"\bON\s+CONFLICT\b.*\bDO\s+UPDATE\b", re.DOTALL)


def migration_tables() -> set[str]:
    """Every table the migrations create."""
    texts = (path.read_text() for path in MIGRATIONS_DIR.glob("*.sql") if not path.name.endswith(".rollback.sql"))
    return {name for text in texts for name in re.findall(rf"CREATE TABLE {NAME}", text)}


def string_literals(paths: Iterable[Path]) -> list[str]:
    """The string constants of these modules (the fixed parts of f-strings too), docstrings left out."""
    found = []
    for path in paths:
        tree = ast.parse(path.read_text())
        owners = [tree, *(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef))]
        docstrings = {id(o.body[0].value) for o in owners if o.body and isinstance(o.body[0], ast.Expr)}
        found += [
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
        ]
    return found


def needs(statements: Iterable[str], tables: set[str]) -> dict[str, set[str]]:
    """Table -> the rights these statements need on it (only tables in `tables`)."""
    rights: dict[str, set[str]] = defaultdict(set)
    for text in statements:
        reads_rows = bool(READS_ROWS.search(text))
        for table in INSERTS.findall(text):
            rights[table] |= {"INSERT", "UPDATE", "SELECT"} if UPSERT.search(text) else {"INSERT"}
            if reads_rows:
                rights[table].add("SELECT")
        for pattern, right in ((UPDATES, "UPDATE"), (DELETES, "DELETE")):
            for table in pattern.findall(text):
                rights[table] |= {right, "SELECT"} if reads_rows else {right}
        for table in READS.findall(text):
            rights[table].add("SELECT")
    return {table: found for table, found in rights.items() if table in tables}


def process_needs(process: str) -> dict[str, set[str]]:
    """What the SQL of consumers/<process>/ needs, per table."""
    return needs(string_literals(sorted((CONSUMERS / process).glob("*.py"))), migration_tables())


def granted(process: str) -> dict[str, set[str]]:
    return {table: set(rights) for table, rights in GRANTS[process].items()}


def test_the_grant_table_has_a_row_and_settings_for_each_writing_process() -> None:
    settings = Settings.from_env({})
    assert tuple(GRANTS) == WRITERS
    for process in WRITERS:
        assert getattr(settings, role_field(process)) == f"lifecycle_{process}"
        assert not getattr(settings, password_field(process))


@pytest.mark.parametrize("process", WRITERS)
def test_each_role_is_granted_exactly_what_its_process_sql_does(process: str) -> None:
    assert process_needs(process) == granted(process), f"consumers/grants.py row {process!r} is not what its SQL does"


def test_the_modules_the_processes_share_run_no_statement_on_a_table() -> None:
    # SQL there would be run by every process: the grant table would have no row for it.
    assert needs(string_literals(sorted(CONSUMERS.glob("*.py"))), migration_tables()) == {}


def test_every_table_of_the_migrations_is_granted_and_only_those() -> None:
    named = {table for tables in GRANTS.values() for table in tables}
    assert named == migration_tables()


def test_no_role_may_delete_entitlements_or_their_revisions_and_the_notifier_writes_only_its_ledger() -> None:
    for tables in GRANTS.values():
        assert "DELETE" not in tables.get("entitlements", ())
        assert "DELETE" not in tables.get("entitlement_revisions", ())
    assert set(GRANTS["notifier"]) == {"delivery_ledger"}


def test_a_new_statement_on_a_table_is_a_right_the_grant_table_lacks() -> None:
    added = needs(["DELETE FROM entitlement_revisions WHERE serial = %s"], migration_tables())

    assert added == {"entitlement_revisions": {"DELETE", "SELECT"}}
    assert not added["entitlement_revisions"] <= granted("store")["entitlement_revisions"]


def test_the_reading_of_statements_knows_upserts_returning_and_subqueries() -> None:
    tables = {"t", "u"}
    assert needs(["INSERT INTO t (a) VALUES %s ON CONFLICT (a) DO NOTHING"], tables) == {"t": {"INSERT"}}
    assert needs(["INSERT INTO t AS x VALUES (1) ON CONFLICT (a) DO UPDATE SET a = 2"], tables) == {
        "t": {"INSERT", "UPDATE", "SELECT"}
    }
    assert needs(["UPDATE t SET a = 1 RETURNING a", "DELETE FROM u"], tables) == {
        "t": {"UPDATE", "SELECT"},
        "u": {"DELETE"},
    }
    assert needs(["SELECT 1 FROM unnest(%s) AS x JOIN u ON true"], tables) == {"u": {"SELECT"}}


def test_the_migrations_make_no_sequence_so_no_role_needs_usage_on_one() -> None:
    # A serial or identity column makes a sequence its inserts need USAGE on: grant it in consumers/roles.py then.
    sequence = re.compile(r"^\s*\w+\s+(?:small|big)?serial\b|\bAS\s+IDENTITY\b|\bCREATE\s+SEQUENCE\b", re.I | re.M)
    texts = {path.name: path.read_text() for path in MIGRATIONS_DIR.glob("*.sql")}
    assert [name for name, text in texts.items() if sequence.search(text)] == []
