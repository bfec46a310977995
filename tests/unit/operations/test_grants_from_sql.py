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
# A table name as a statement may spell it: ONLY, quoted, schema-qualified; the group is the bare name.
NAME = r'(?:ONLY\s+)?(?:"?public"?\.)?"?([a-z_][a-z0-9_]*)"?'
NAMES = rf"{NAME}(?:\s*,\s*{NAME})*"
ALIAS = r"(?:\s+(?:AS\s+)?(?!SET\b)[a-z_][a-z0-9_]*)?"
INSERTS = re.compile(rf"\bINSERT\s+INTO\s+{NAME}", re.I)
UPDATES = re.compile(rf"(?<!DO )\bUPDATE\s+{NAME}{ALIAS}\s+SET\b", re.I)
DELETES = re.compile(rf"\bDELETE\s+FROM\s+{NAME}", re.I)
READS = re.compile(rf"(?<!DELETE )\b(?:FROM|JOIN)\s+{NAME}", re.I)
TRUNCATES = re.compile(rf"\bTRUNCATE\s+(?:TABLE\s+)?({NAMES})", re.I)
LOCKS = re.compile(rf"\bLOCK\s+(?:TABLE\s+)?({NAMES})", re.I)
COPIES_IN = re.compile(rf"\bCOPY\s+{NAME}(?:\s*\([^)]*\))?\s+FROM\b", re.I)
COPIES_OUT = re.compile(rf"\bCOPY\s+{NAME}(?:\s*\([^)]*\))?\s+TO\b", re.I)
# A WHERE or RETURNING reads the rows a statement writes: PostgreSQL asks for SELECT too, as for an upsert.
READS_ROWS = re.compile(r"\b(?:WHERE|RETURNING)\b", re.I)
# Any ON CONFLICT reads the arbiter index's columns (SELECT); DO UPDATE also updates.
CONFLICT = re.compile(r"\bON\s+CONFLICT\b", re.I)
UPSERT = re.compile(r"\bON\s+CONFLICT\b.*\bDO\s+UPDATE\b", re.I | re.DOTALL)
# SELECT … FOR UPDATE / NO KEY UPDATE / SHARE / KEY SHARE locks the rows it reads: UPDATE on those tables.
LOCKS_ROWS = re.compile(r"\bFOR\s+(?:NO\s+KEY\s+)?(?:UPDATE|(?:KEY\s+)?SHARE)\b", re.I)
# A table name put into SQL at run time: the reader cannot see it, so its statements are declared by hand (COMPOSED).
TABLE_SLOT = r'\b(?:FROM|JOIN|INTO|UPDATE|TABLE|TRUNCATE|LOCK|COPY|ONLY)\s+"?(?:public"?\."?)?'
SLOT_AT_END = re.compile(TABLE_SLOT + r"$", re.I)
SLOT_FILLED = re.compile(TABLE_SLOT + r"(?:\{[^}]*\}|%s|%\(\w+\)s)", re.I)
# Module (relative to consumers/) -> the statements its composed SQL runs, written out. None composes SQL today.
COMPOSED: dict[str, tuple[str, ...]] = {}


def names(listed: str) -> list[str]:
    """The bare table names of a comma-separated list as TRUNCATE and LOCK take it."""
    return [match.group(1) for match in re.finditer(NAME, listed, re.I)]


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
        reads_rows = bool(READS_ROWS.search(text) or CONFLICT.search(text))
        for table in INSERTS.findall(text):
            rights[table] |= {"INSERT", "UPDATE"} if UPSERT.search(text) else {"INSERT"}
            if reads_rows:
                rights[table].add("SELECT")
        for pattern, right in ((UPDATES, "UPDATE"), (DELETES, "DELETE")):
            for table in pattern.findall(text):
                rights[table] |= {right, "SELECT"} if reads_rows else {right}
        locks_rows = bool(LOCKS_ROWS.search(text))
        for table in READS.findall(text):
            rights[table] |= {"SELECT", "UPDATE"} if locks_rows else {"SELECT"}
        for pattern, right in ((TRUNCATES, "TRUNCATE"), (LOCKS, "UPDATE")):
            for listed in pattern.findall(text):
                for table in names(listed[0]):
                    rights[table].add(right)
        for table in COPIES_IN.findall(text):
            rights[table].add("INSERT")
        for table in COPIES_OUT.findall(text):
            rights[table].add("SELECT")
    return {table: found for table, found in rights.items() if table in tables}


def composed_sql(paths: Iterable[Path]) -> list[str]:
    """Where these modules put a table name into SQL at run time: psycopg2.sql, or +, %, format or an f-string."""
    found = []
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            how = _composes(node)
            if how:
                found.append(f"{path.name}:{getattr(node, 'lineno', 0)} {how}")
    return found


def _text(node: ast.AST) -> str:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else ""


def _composes(node: ast.AST) -> str:
    """How `node` puts a value where SQL names a table; empty when it does not."""
    if isinstance(node, ast.ImportFrom) and node.module == "psycopg2.sql":
        return "psycopg2.sql"
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "sql":
        return f"sql.{node.attr}"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and not _text(node.right):
        return "a concatenation" if SLOT_AT_END.search(_text(node.left)) else ""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return "a % format" if SLOT_FILLED.search(_text(node.left)) else ""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return "a format call" if SLOT_FILLED.search(_text(node.func.value)) else ""
    if isinstance(node, ast.JoinedStr):
        pairs = zip(node.values, node.values[1:], strict=False)
        slots = (SLOT_AT_END.search(_text(text)) and isinstance(value, ast.FormattedValue) for text, value in pairs)
        return "an f-string" if any(slots) else ""
    return ""


def process_modules(process: str) -> list[Path]:
    """Every module of consumers/<process>/, subpackages too."""
    return sorted((CONSUMERS / process).rglob("*.py"))


def process_needs(process: str) -> dict[str, set[str]]:
    """What the SQL of consumers/<process>/ needs, per table (the composed SQL as COMPOSED writes it out)."""
    declared = [
        statement
        for path in process_modules(process)
        for statement in COMPOSED.get(str(path.relative_to(CONSUMERS)), ())
    ]
    return needs([*string_literals(process_modules(process)), *declared], migration_tables())


def granted(process: str) -> dict[str, set[str]]:
    return {table: set(rights) for table, rights in GRANTS[process].items()}


def test_the_grant_table_has_a_row_and_settings_for_each_writing_process() -> None:
    settings = Settings.from_env({})
    assert tuple(GRANTS) == WRITERS  # built from WRITERS: a row per process, in its order
    for process in WRITERS:
        assert getattr(settings, role_field(process)) == f"lifecycle_{process}"
        assert not getattr(settings, password_field(process))


@pytest.mark.parametrize("process", WRITERS)
def test_each_role_is_granted_exactly_what_its_process_sql_does(process: str) -> None:
    assert process_needs(process) == granted(process), f"consumers/grants.py row {process!r} is not what its SQL does"


@pytest.mark.parametrize("process", WRITERS)
def test_the_sql_of_each_process_is_written_out_where_the_reader_sees_it(process: str) -> None:
    modules = {str(path.relative_to(CONSUMERS)): path for path in process_modules(process)}
    undeclared = [site for name, path in modules.items() if name not in COMPOSED for site in composed_sql([path])]
    assert undeclared == [], "SQL put together at run time: write its statements out in COMPOSED"


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
    # Any ON CONFLICT reads the arbiter's columns: SELECT, DO NOTHING too.
    assert needs(["INSERT INTO t (a) VALUES %s ON CONFLICT (a) DO NOTHING"], tables) == {"t": {"INSERT", "SELECT"}}
    assert needs(["INSERT INTO t AS x VALUES (1) ON CONFLICT (a) DO UPDATE SET a = 2"], tables) == {
        "t": {"INSERT", "UPDATE", "SELECT"}
    }
    assert needs(["UPDATE t SET a = 1 RETURNING a", "DELETE FROM u"], tables) == {
        "t": {"UPDATE", "SELECT"},
        "u": {"DELETE"},
    }
    assert needs(["SELECT 1 FROM unnest(%s) AS x JOIN u ON true"], tables) == {"u": {"SELECT"}}


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("delete from t where a = %s", {"DELETE", "SELECT"}),
        ("UPDATE t AS x SET a = 1 WHERE x.a = %s", {"UPDATE", "SELECT"}),
        ("UPDATE t x SET a = 1", {"UPDATE"}),
        ("UPDATE ONLY t SET a = %s", {"UPDATE"}),
        ("DELETE FROM public.t WHERE a = %s", {"DELETE", "SELECT"}),
        ('INSERT INTO "t" (a) VALUES (%s)', {"INSERT"}),
        ('INSERT INTO "public"."t" (a) VALUES (%s)', {"INSERT"}),
        ("SELECT a FROM t WHERE a = %s FOR UPDATE", {"SELECT", "UPDATE"}),
        ("SELECT a FROM t FOR NO KEY UPDATE SKIP LOCKED", {"SELECT", "UPDATE"}),
        ("SELECT a FROM t FOR SHARE", {"SELECT", "UPDATE"}),
        ("TRUNCATE t", {"TRUNCATE"}),
        ("TRUNCATE TABLE ONLY t", {"TRUNCATE"}),
        ("COPY t (a, b) FROM STDIN", {"INSERT"}),
        ("COPY t TO STDOUT", {"SELECT"}),
        ("LOCK TABLE t IN EXCLUSIVE MODE", {"UPDATE"}),
        ("lock t", {"UPDATE"}),
    ],
)
def test_the_reading_of_statements_knows_every_spelling_of_a_table_and_every_statement(
    statement: str, expected: set[str]
) -> None:
    assert needs([statement], {"t"}) == {"t": expected}


def test_a_list_of_tables_truncated_or_locked_needs_the_right_on_each() -> None:
    assert needs(["TRUNCATE t, public.u", "LOCK TABLE u, t"], {"t", "u"}) == {
        "t": {"TRUNCATE", "UPDATE"},
        "u": {"TRUNCATE", "UPDATE"},
    }


def test_sql_put_together_at_run_time_is_found(tmp_path: Path) -> None:
    module = tmp_path / "purge.py"
    module.write_text(
        "from psycopg2 import sql\n"
        "TABLE = 'held_events'\n"
        "def purge(cursor, table, columns):\n"
        "    cursor.execute(sql.SQL('DELETE FROM {}').format(sql.Identifier(TABLE)))\n"
        "    cursor.execute('UPDATE ' + table + ' SET status = 1')\n"
        "    cursor.execute(f'SELECT 1 FROM {table}')\n"
        "    cursor.execute('TRUNCATE %s' % table)\n"
        "    cursor.execute('LOCK TABLE {}'.format(table))\n"
        "    cursor.execute(f'SELECT {columns} FROM held_events')  # the table is in the text\n"
        "    cursor.execute('plain text, ' + table)\n"
    )
    assert sorted(set(composed_sql([module]))) == [
        "purge.py:4 sql.Identifier",
        "purge.py:4 sql.SQL",
        "purge.py:5 a concatenation",
        "purge.py:6 an f-string",
        "purge.py:7 a % format",
        "purge.py:8 a format call",
    ]


def test_the_packages_are_read_to_the_bottom(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "store" / "deep").mkdir(parents=True)
    (tmp_path / "store" / "deep" / "writes.py").write_text("TRUNCATE = 'TRUNCATE entitlements'\n")
    monkeypatch.setitem(globals(), "CONSUMERS", tmp_path)

    assert process_needs("store") == {"entitlements": {"TRUNCATE"}}


def test_the_migrations_make_no_sequence_so_no_role_needs_usage_on_one() -> None:
    # A serial or identity column makes a sequence its inserts need USAGE on: grant it in consumers/roles.py then.
    sequence = re.compile(r"^\s*\w+\s+(?:small|big)?serial\b|\bAS\s+IDENTITY\b|\bCREATE\s+SEQUENCE\b", re.I | re.M)
    texts = {path.name: path.read_text() for path in MIGRATIONS_DIR.glob("*.sql")}
    assert [name for name, text in texts.items() if sequence.search(text)] == []
