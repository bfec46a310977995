"""The least-privilege roles: the owner (NOLOGIN) owns the tables, each writing process has a login role of its
own with the rights consumers/grants.py gives it, and the read-only role reads.

`ensure_roles` creates missing roles (names and passwords from settings); `grant_privileges`, after the migrations,
gives the other roles exactly their rights, and takes every right on the tables from the former shared app role.
Running either again changes nothing.
"""

from __future__ import annotations

import logging
from typing import Any

import psycopg2
import psycopg2.errors
from psycopg2 import sql
from psycopg2.extensions import connection as Connection  # noqa: N812 - the driver's own class name
from psycopg2.extensions import encrypt_password

from consumers.grants import GRANTS
from lifecycle.db_logins import WRITERS, writer_password, writer_role
from lifecycle.errors import UserError
from lifecycle.settings import Settings

log = logging.getLogger(__name__)

YOYO_TABLES = ("_yoyo_migration", "_yoyo_log", "_yoyo_version", "yoyo_lock")


def _ensure_role(cursor: Any, role: str, options: str, password: str) -> None:
    cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
    if cursor.fetchone() is None:
        try:
            cursor.execute(sql.SQL("CREATE ROLE {} " + options).format(sql.Identifier(role)))
            log.info("created role %s", role)
        except (psycopg2.errors.DuplicateObject, psycopg2.errors.UniqueViolation):
            pass  # created at the same moment by another migrate
        except psycopg2.errors.InsufficientPrivilege:
            raise UserError(f"role {role} is missing and this DSN may not create it: use a superuser") from None
    if password:
        # Hashed here: the statement the server sees (and might log) carries the SCRAM verifier only.
        verifier = encrypt_password(password, role, cursor.connection, "scram-sha-256")
        cursor.execute(sql.SQL("ALTER ROLE {} WITH LOGIN PASSWORD %s").format(sql.Identifier(role)), (verifier,))


def _truth(cursor: Any, query: str, *params: Any) -> bool:
    cursor.execute(query, params)
    row = cursor.fetchone()
    return bool(row and row[0])


def ensure_roles(connection: Connection, settings: Settings) -> None:
    """Create the owner, writer and read-only roles when missing, and let the owner create tables."""
    owner = settings.db_owner_role
    with connection.cursor() as cursor:
        _ensure_role(cursor, owner, "NOLOGIN", "")
        for process in WRITERS:
            _ensure_role(cursor, writer_role(settings, process), "LOGIN", writer_password(settings, process))
        _ensure_role(cursor, settings.db_readonly_role, "LOGIN", settings.db_readonly_password.get_secret_value())
        readonly = sql.Identifier(settings.db_readonly_role)
        cursor.execute(sql.SQL("ALTER ROLE {} SET default_transaction_read_only = on").format(readonly))
        is_superuser = _truth(cursor, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if not is_superuser and not _truth(cursor, "SELECT pg_has_role(current_user, %s, 'MEMBER')", owner):
            cursor.execute(sql.SQL("GRANT {} TO current_user").format(sql.Identifier(owner)))
        if not _truth(cursor, "SELECT has_schema_privilege(%s, 'public', 'CREATE')", owner):
            cursor.execute(sql.SQL("GRANT USAGE, CREATE ON SCHEMA public TO {}").format(sql.Identifier(owner)))
        # PostgreSQL < 15 lets every role create tables in public; the app roles must not.
        cursor.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")


def _strip(role: sql.Identifier) -> list[sql.Composed]:
    """Every right of `role` on the schema's tables and sequences, and on those made later, taken away."""
    return [
        sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {}").format(role),
        sql.SQL("REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {}").format(role),
        sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM {}").format(role),
    ]


def privilege_statements(settings: Settings, former_app_role_exists: bool) -> list[sql.Composable]:
    """The statements that leave every role exactly its rights, run as the owner in one transaction."""
    owner = sql.Identifier(settings.db_owner_role)
    readonly = sql.Identifier(settings.db_readonly_role)
    yoyo = sql.SQL(", ").join(sql.Identifier(name) for name in YOYO_TABLES)
    statements: list[sql.Composable] = [sql.SQL("SET ROLE {}").format(owner)]
    roles = {writer_role(settings, process) for process in WRITERS} | {settings.db_readonly_role}
    if former_app_role_exists and settings.db_app_role not in roles:
        statements += _strip(sql.Identifier(settings.db_app_role))
    for process, tables in GRANTS.items():
        role = sql.Identifier(writer_role(settings, process))
        statements += _strip(role)  # a right dropped from the grant table goes at the next migrate
        for table, rights in tables.items():
            statement = sql.SQL("GRANT {} ON {} TO {}")
            statements.append(statement.format(sql.SQL(", ").join(map(sql.SQL, rights)), sql.Identifier(table), role))
    statements += [
        sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {}").format(readonly),
        sql.SQL("REVOKE ALL ON {} FROM {}").format(yoyo, readonly),
        sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO {}").format(readonly),
        sql.SQL("RESET ROLE"),
    ]
    return statements


def grant_privileges(connection: Connection, settings: Settings) -> None:
    """Each writer role its rights of consumers/grants.py, SELECT for the read-only role, nothing on the yoyo log."""
    with connection.cursor() as cursor:
        former = _truth(cursor, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s)", settings.db_app_role)
        # One transaction: a running process never sees its rights taken away and given back.
        cursor.execute("BEGIN")
        for statement in privilege_statements(settings, former):
            cursor.execute(statement)
        cursor.execute("COMMIT")
