"""The least-privilege roles: the owner (NOLOGIN) owns the tables, the app role writes rows, the read-only role reads.

`ensure_roles` creates missing roles (names and passwords from settings); `grant_privileges`, after the migrations,
gives the app and read-only roles their rights. Running either again changes nothing.
"""

from __future__ import annotations

import logging
from typing import Any

import psycopg2
import psycopg2.errors
from psycopg2 import sql
from psycopg2.extensions import connection as Connection  # noqa: N812 - the driver's own class name
from psycopg2.extensions import encrypt_password

from lifecycle.errors import UserError
from lifecycle.settings import Settings

log = logging.getLogger(__name__)

APP_RIGHTS = "SELECT, INSERT, UPDATE, DELETE"
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
    """Create the owner, app and read-only roles when missing, and let the owner create tables."""
    owner = settings.db_owner_role
    with connection.cursor() as cursor:
        _ensure_role(cursor, owner, "NOLOGIN", "")
        _ensure_role(cursor, settings.db_app_role, "LOGIN", settings.db_app_password.get_secret_value())
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


def grant_privileges(connection: Connection, settings: Settings) -> None:
    """Rows only for the app role, SELECT only for the read-only role, nothing on the migration log."""
    owner = sql.Identifier(settings.db_owner_role)
    app = sql.Identifier(settings.db_app_role)
    readonly = sql.Identifier(settings.db_readonly_role)
    yoyo = sql.SQL(", ").join(sql.Identifier(name) for name in YOYO_TABLES)
    statements = [
        sql.SQL("SET ROLE {}").format(owner),
        sql.SQL("GRANT {} ON ALL TABLES IN SCHEMA public TO {}").format(sql.SQL(APP_RIGHTS), app),
        sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(app),
        sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {}").format(readonly),
        sql.SQL("REVOKE ALL ON {} FROM {}, {}").format(yoyo, app, readonly),
        sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT {} ON TABLES TO {}").format(sql.SQL(APP_RIGHTS), app),
        sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO {}").format(readonly),
        sql.SQL("RESET ROLE"),
    ]
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
