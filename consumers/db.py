"""`lifecycle db`: the PostgreSQL schema (yoyo migrations) and its least-privilege roles.

The roles (names from settings): the owner (NOLOGIN) owns every table and runs the migrations;
store, scheduler and notifier each log in as a role of their own, granted per table only what their
SQL does (consumers/grants.py); the read-only role (the dashboard) may only read, and its sessions
default to read-only transactions. `migrate` connects
with LIFECYCLE_DATABASE_ADMIN_URL (a superuser, or a role with CREATEROLE that owns the database),
creates missing roles, switches to the owner with SET ROLE, applies the migrations in
consumers/migrations and grants the other roles their rights. Running it again changes nothing.
The former shared app role keeps its rights until `migrate --revoke-former-role`, run once every
process logs in as its own role: an upgrade rolls out the new DSNs first, then revokes.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from consumers.database import admin_dsn, admin_setting, connect
from consumers.roles import GRANT_LOCK_KEY, REVOKE_FLAG, ensure_roles, grant_privileges
from lifecycle.errors import UserError
from lifecycle.settings import Settings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
MIGRATION_TABLE = "_yoyo_migration"


def migration_url(dsn: str, setting: str = "the migration DSN") -> str:
    """The DSN as the postgresql:// URL yoyo reads; a key=value DSN is refused in one line naming `setting`."""
    if not dsn.startswith(("postgresql://", "postgres://")):
        raise UserError(
            f"{setting} must be a URL for the migrations (yoyo reads no key=value DSN): "
            "postgresql://user@host:port/database"
        )
    return "postgresql://" + dsn.removeprefix("postgres://") if dsn.startswith("postgres://") else dsn


def apply_migrations(dsn: str, owner: str) -> list[str]:
    """Apply pending migrations as the owner role; return the ids applied now."""
    from yoyo import read_migrations
    from yoyo.backends import get_backend_class
    from yoyo.connections import parse_uri

    uri = parse_uri(migration_url(dsn))._replace(scheme="postgresql")
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


def migrate(settings: Settings, with_roles: bool = True, revoke_former_role: bool = False) -> list[str]:
    """Roles, migrations and grants (and the former app role's rights taken); the ids of the migrations applied now."""
    if revoke_former_role and not with_roles:
        raise UserError(f"{REVOKE_FLAG} changes roles: drop --no-roles")
    setting = admin_setting(settings)
    dsn = migration_url(admin_dsn(settings), setting)  # refused before any role is made
    connection = connect(dsn, "lifecycle-migrate", setting)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:  # two migrations at once (two Jobs) wait for each other, roles and all
            cursor.execute("SELECT pg_advisory_lock(%s)", (GRANT_LOCK_KEY,))
        if with_roles:
            ensure_roles(connection, settings)
        applied = apply_migrations(dsn, settings.db_owner_role)
        if with_roles:
            grant_privileges(connection, settings, revoke_former_role)
        return applied
    finally:
        connection.close()


def pending_migrations(settings: Settings) -> list[str]:
    """Ids of the migrations not applied yet (read with the admin DSN)."""
    from yoyo import get_backend, read_migrations

    setting = admin_setting(settings)
    url = migration_url(admin_dsn(settings), setting)
    connect(url, "lifecycle-migrate", setting).close()  # a failure is one line, not yoyo's traceback
    backend = get_backend(url, MIGRATION_TABLE)
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
    parser.add_argument(
        REVOKE_FLAG,
        action="store_true",
        help="also take every right from the former shared role (LIFECYCLE_DB_APP_ROLE): once no process uses it",
    )


def run(args: argparse.Namespace) -> int:
    """Apply the migrations, or print the pending ones."""
    settings = Settings.from_env()
    if args.action == "status":
        pending = pending_migrations(settings)
        print("\n".join(pending) if pending else "up to date")
        return 0
    applied = migrate(settings, with_roles=not args.no_roles, revoke_former_role=args.revoke_former_role)
    print(f"applied {len(applied)} migration(s): {', '.join(applied)}" if applied else "schema up to date")
    return 0
