"""The least-privilege roles: the owner (NOLOGIN) owns the tables, each writing process has a login role of its
own with the rights consumers/grants.py gives it, and the read-only role reads.

`ensure_roles` creates missing roles (names and passwords from settings); `grant_privileges`, after the migrations,
gives the other roles exactly their rights. The former shared app role keeps its rights, so processes still
logging in as it keep working while the new DSNs roll out, until `lifecycle db migrate --revoke-former-role`
takes them. Running either again changes nothing.
"""

from __future__ import annotations

import logging
from typing import Any

import psycopg2
import psycopg2.errors
from psycopg2 import sql
from psycopg2.extensions import connection as Connection  # noqa: N812 - the driver's own class name
from psycopg2.extensions import encrypt_password

from consumers.grants import GRANTS, Rights
from lifecycle.db_logins import WRITERS, check_distinct_roles, writer_password, writer_role
from lifecycle.errors import UserError
from lifecycle.settings import Settings

log = logging.getLogger(__name__)

YOYO_TABLES = ("_yoyo_migration", "_yoyo_log", "_yoyo_version", "yoyo_lock")
# Two migrations granting at once would fail with "tuple concurrently updated": the second waits for the first.
GRANT_LOCK_KEY = 0x6C63_726F_6C65_73  # "lcroles"
REVOKE_FLAG = "--revoke-former-role"
# Whether the role has any right on a table of the schema, or default privileges the owner gave it.
_HAS_RIGHTS = """
SELECT EXISTS (
    SELECT 1 FROM pg_class AS c CROSS JOIN LATERAL aclexplode(c.relacl) AS acl
    WHERE c.relnamespace = 'public'::regnamespace AND acl.grantee = %s::regrole
) OR EXISTS (
    SELECT 1 FROM pg_default_acl AS d CROSS JOIN LATERAL aclexplode(d.defaclacl) AS acl
    WHERE acl.grantee = %s::regrole
)
"""


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
    check_distinct_roles(settings)
    owner = settings.db_owner_role
    with connection.cursor() as cursor:
        _ensure_role(cursor, owner, "NOLOGIN", "")
        for process in WRITERS:  # a role two processes share: created once, the last password set
            _ensure_role(cursor, writer_role(settings, process), "LOGIN", writer_password(settings, process))
        _ensure_role(cursor, settings.db_readonly_role, "LOGIN", settings.db_readonly_password.get_secret_value())
        readonly = sql.Identifier(settings.db_readonly_role)
        cursor.execute(sql.SQL("ALTER ROLE {} SET default_transaction_read_only = on").format(readonly))
        is_superuser = _truth(cursor, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if not is_superuser and not _truth(cursor, "SELECT pg_has_role(current_user, %s, 'MEMBER')", owner):
            cursor.execute(sql.SQL("GRANT {} TO current_user").format(sql.Identifier(owner)))
        if not _truth(cursor, "SELECT has_schema_privilege(%s, 'public', 'CREATE')", owner):
            cursor.execute(sql.SQL("GRANT USAGE, CREATE ON SCHEMA public TO {}").format(sql.Identifier(owner)))
        # PostgreSQL < 15 lets every role create tables in public; the app roles must not. Nor temporary tables,
        # which every role may make by default: no process needs one.
        cursor.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        cursor.execute(
            "DO $$ BEGIN EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database()); END $$"
        )


def _strip(role: sql.Identifier) -> list[sql.Composed]:
    """Every right of `role` on the schema's tables and sequences, and on those made later, taken away."""
    return [
        sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {}").format(role),
        sql.SQL("REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {}").format(role),
        sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM {}").format(role),
    ]


def role_rights(settings: Settings) -> dict[str, dict[str, Rights]]:
    """Writer role -> table -> rights: the union of the rows of every process that logs in as that role."""
    rights: dict[str, dict[str, dict[str, None]]] = {}
    for process in WRITERS:
        tables = rights.setdefault(writer_role(settings, process), {})
        for table, granted in GRANTS[process].items():
            tables.setdefault(table, {}).update(dict.fromkeys(granted))  # ordered, each right once
    return {role: {table: tuple(granted) for table, granted in tables.items()} for role, tables in rights.items()}


def privilege_statements(settings: Settings, revoke_former_role: bool = False) -> list[sql.Composable]:
    """The statements that leave every role exactly its rights (the former app role none if asked), run as the owner."""
    check_distinct_roles(settings)
    owner = sql.Identifier(settings.db_owner_role)
    readonly = sql.Identifier(settings.db_readonly_role)
    yoyo = sql.SQL(", ").join(sql.Identifier(name) for name in YOYO_TABLES)
    statements: list[sql.Composable] = [sql.SQL("SET ROLE {}").format(owner)]
    if revoke_former_role:
        statements += _strip(sql.Identifier(settings.db_app_role))
    for name, tables in role_rights(settings).items():
        role = sql.Identifier(name)
        statements += _strip(role)  # once per role; a right dropped from the grant table goes at the next migrate
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


def former_role_in_use(settings: Settings) -> bool:
    """Whether the former app role's name is one of the current roles (then it keeps that role's rights)."""
    current = {writer_role(settings, process) for process in WRITERS}
    return settings.db_app_role in current | {settings.db_readonly_role, settings.db_owner_role}


def grant_privileges(connection: Connection, settings: Settings, revoke_former_role: bool = False) -> None:
    """Give each role its rights in one transaction; the former app role keeps its own unless `revoke_former_role`."""
    former = settings.db_app_role
    with connection.cursor() as cursor:
        exists = _truth(cursor, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s)", former)
        revoke = revoke_former_role and exists and not former_role_in_use(settings)
        # One transaction: a running process never sees its rights taken away and given back.
        cursor.execute("BEGIN")
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", (GRANT_LOCK_KEY,))
        for statement in privilege_statements(settings, revoke):
            cursor.execute(statement)
        cursor.execute("COMMIT")
        if revoke:
            log.info("role %s (the former shared role) has no rights left on the tables", former)
        elif revoke_former_role:
            log.info("role %s (the former shared role) is %s: nothing to revoke", former, _why_kept(exists))
        elif exists and not former_role_in_use(settings) and _truth(cursor, _HAS_RIGHTS, former, former):
            log.warning(
                "role %s (the former shared role) still has its rights on the tables: once every process logs in "
                "as its own role, run `lifecycle db migrate %s` to take them",
                former,
                REVOKE_FLAG,
            )


def _why_kept(exists: bool) -> str:
    return "one of the current roles" if exists else "absent"
