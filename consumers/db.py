"""`lifecycle db`: the PostgreSQL schema (yoyo migrations) and its least-privilege roles.

Three roles (names from settings): the owner (NOLOGIN) owns every table and runs the migrations;
the app role (store, scheduler, notifier) may only read and write rows; the read-only role (the
dashboard) may only read, and its sessions default to read-only transactions. `migrate` connects
with LIFECYCLE_DATABASE_ADMIN_URL (a superuser, or a role with CREATEROLE that owns the database),
creates missing roles, switches to the owner with SET ROLE, applies the migrations in
consumers/migrations and grants the other roles their rights. Running it again changes nothing.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.errors
from psycopg2 import sql
from psycopg2.extensions import connection as Connection  # noqa: N812 - the driver's own class name
from psycopg2.extensions import encrypt_password

from lifecycle.errors import UserError
from lifecycle.redact import redact
from lifecycle.settings import Settings
from lifecycle.stack import credentials

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
MIGRATION_TABLE = "_yoyo_migration"
APP_RIGHTS = "SELECT, INSERT, UPDATE, DELETE"
YOYO_TABLES = ("_yoyo_migration", "_yoyo_log", "_yoyo_version", "yoyo_lock")
# A DSN libpq cannot parse: psycopg2 raises ProgrammingError, and its message may quote the whole DSN.
UNPARSABLE_DSN = psycopg2.ProgrammingError
# Connection failures that waiting cannot cure: a malformed value, a refused login, a missing role or database.
_CONFIGURATION_FAILURES = (
    "invalid ",
    "password authentication failed",
    "no password supplied",
    "does not exist",
    "no pg_hba.conf entry",
    "certificate",
)


class DatabaseUnavailableError(UserError):
    """PostgreSQL does not answer (yet): a process that retries may wait for it."""


def explain_unparsable_dsn(exc: Exception, setting: str = "LIFECYCLE_DATABASE_URL") -> str:
    """One line for a DSN libpq cannot parse, with any secret in libpq's message masked."""
    problem = str(exc).strip().removeprefix("invalid dsn: ")
    return redact(f"{setting} is not a valid PostgreSQL DSN ({problem}): write a postgresql:// URL or key=value pairs")


def app_dsn(settings: Settings) -> str:
    """The DSN of the store, scheduler and notifier; the local stack's app role when none is set."""
    return settings.database_url.get_secret_value() or credentials.app_dsn(settings)


def admin_dsn(settings: Settings) -> str:
    """The DSN `db migrate` connects with; the local stack's superuser when no DSN is set."""
    configured = settings.database_admin_url.get_secret_value() or settings.database_url.get_secret_value()
    return configured or credentials.admin_dsn(settings)


def admin_setting(settings: Settings) -> str:
    """The setting `admin_dsn` comes from, for error messages."""
    return "LIFECYCLE_DATABASE_ADMIN_URL" if settings.database_admin_url else "LIFECYCLE_DATABASE_URL"


def connect(dsn: str, application_name: str = "lifecycle", setting: str = "LIFECYCLE_DATABASE_URL") -> Connection:
    """A connection with autocommit off; a failure is one line naming `setting` (DatabaseUnavailableError: retry)."""
    try:
        connection = psycopg2.connect(dsn, connect_timeout=5, application_name=application_name)
    except UNPARSABLE_DSN as exc:
        raise UserError(explain_unparsable_dsn(exc, setting)) from None
    except psycopg2.OperationalError as exc:
        reason = " ".join(str(exc).split())
        message = redact(f"cannot connect to PostgreSQL ({reason}); check {setting}")
        if any(marker in reason for marker in _CONFIGURATION_FAILURES):
            raise UserError(message) from None
        raise DatabaseUnavailableError(message) from None
    connection.autocommit = False
    return connection


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


def apply_migrations(dsn: str, owner: str) -> list[str]:
    """Apply pending migrations as the owner role; return the ids applied now."""
    from yoyo import read_migrations
    from yoyo.backends import get_backend_class
    from yoyo.connections import parse_uri

    if not dsn.startswith(("postgresql://", "postgres://")):
        raise UserError("the migration DSN must be a URL: postgresql://user@host:port/database")
    uri = parse_uri(dsn)._replace(scheme="postgresql")
    # yoyo opens a new connection per migration: the role goes into every connection's startup options.
    options = f"{uri.args.get('options', '')} -c role={owner}".strip()
    uri = uri._replace(args={**uri.args, "options": options})
    backend = get_backend_class("postgresql")(uri, MIGRATION_TABLE)
    try:
        backend.init_database()
        migrations = read_migrations(str(MIGRATIONS_DIR))
        with backend.lock():
            pending = backend.to_apply(migrations)
            backend.apply_migrations(pending)
        return [migration.id for migration in pending]
    finally:
        backend.connection.close()


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


def migrate(settings: Settings, with_roles: bool = True) -> list[str]:
    """Roles, migrations and grants; return the ids of the migrations applied now."""
    dsn = admin_dsn(settings)
    setting = admin_setting(settings)
    connection = connect(dsn, "lifecycle-migrate", setting)
    connection.autocommit = True
    try:
        if with_roles:
            ensure_roles(connection, settings)
        applied = apply_migrations(dsn, settings.db_owner_role)
        if with_roles:
            grant_privileges(connection, settings)
        return applied
    finally:
        connection.close()


def pending_migrations(settings: Settings) -> list[str]:
    """Ids of the migrations not applied yet (read with the admin DSN)."""
    from yoyo import get_backend, read_migrations

    setting = admin_setting(settings)
    connect(admin_dsn(settings), "lifecycle-migrate", setting).close()  # a failure is one line, not yoyo's traceback
    backend = get_backend(admin_dsn(settings).replace("postgres://", "postgresql://", 1), MIGRATION_TABLE)
    try:
        return [migration.id for migration in backend.to_apply(read_migrations(str(MIGRATIONS_DIR)))]
    finally:
        backend.connection.close()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `lifecycle db`."""
    parser.add_argument("action", choices=("migrate", "status"), help="apply the migrations, or list pending ones")
    parser.add_argument(
        "--no-roles", action="store_true", help="only apply migrations: no roles or grants (the DSN is the owner)"
    )


def run(args: argparse.Namespace) -> int:
    """Apply the migrations, or print the pending ones."""
    settings = Settings.from_env()
    if args.action == "status":
        pending = pending_migrations(settings)
        print("\n".join(pending) if pending else "up to date")
        return 0
    applied = migrate(settings, with_roles=not args.no_roles)
    print(f"applied {len(applied)} migration(s): {', '.join(applied)}" if applied else "schema up to date")
    return 0
