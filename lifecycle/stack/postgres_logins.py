"""The local cluster's logins: SCRAM for every connection, the superuser's password, the writer and read-only roles."""

from __future__ import annotations

from pathlib import Path

import psycopg2
from psycopg2.extensions import connection as Connection  # noqa: N812 - the driver's own class name
from psycopg2.extensions import encrypt_password

from lifecycle.db_logins import password_field, writer_roles
from lifecycle.errors import UserError
from lifecycle.settings import Settings
from lifecycle.stack.credentials import ADMIN_ROLE, DATABASE, admin_dsn, passfile_path
from lifecycle.stack.files import write_file

# The cluster's pg_hba.conf: no login without its password, over TCP or the socket.
HBA = """# Written by `lifecycle stack up`: every login needs its password (SCRAM), over TCP and the socket alike.
local   all   all                  scram-sha-256
host    all   all   127.0.0.1/32   scram-sha-256
host    all   all   ::1/128        scram-sha-256
"""


def connect_admin(settings: Settings, database: str) -> Connection:
    """An autocommit connection as the superuser, with the password from the stack's password file."""
    try:
        connection = psycopg2.connect(admin_dsn(settings, database), connect_timeout=10)
    except psycopg2.OperationalError as exc:
        reason = " ".join(str(exc).split())
        passfile = passfile_path(settings)
        raise UserError(
            f"the local cluster refuses the superuser's login from {passfile} ({reason}): "
            f"run `lifecycle stack down`, delete {passfile.parent} and run `lifecycle stack up` for a new cluster"
        ) from None
    connection.autocommit = True
    return connection


def require_passwords(
    settings: Settings, hba: Path, superuser_password: str, owner: tuple[int, int] | None = None
) -> None:
    """Give an older cluster that trusted every login the superuser's password and the SCRAM pg_hba.conf.

    `owner` (uid, gid): who the new pg_hba.conf belongs to, the server's user when the stack runs as root.
    """
    if hba.is_file() and hba.read_text() == HBA:
        return
    connection = connect_admin(settings, "postgres")  # still trusted: the password is not checked yet
    try:
        with connection.cursor() as cursor:
            # Hashed here: the statement the server sees (and might log) carries the SCRAM verifier only.
            verifier = encrypt_password(superuser_password, ADMIN_ROLE, connection, "scram-sha-256")
            cursor.execute(f"ALTER ROLE {ADMIN_ROLE} WITH PASSWORD %s", (verifier,))
            write_file(hba, HBA, 0o600, owner)  # the data folder is the server's: never through a link
            cursor.execute("SELECT pg_reload_conf()")
    finally:
        connection.close()


def create_database_and_roles(settings: Settings, passwords: dict[str, str]) -> None:
    """The `lifecycle` database, and the owner, writer and read-only roles with the password file's passwords."""
    from consumers.roles import ensure_roles

    connection = connect_admin(settings, "postgres")
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,))
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        connection.close()
    writers = {password_field(process): passwords[role] for process, role in writer_roles(settings).items()}
    logins = settings.replace(**writers, db_readonly_password=passwords[settings.db_readonly_role])
    connection = connect_admin(settings, DATABASE)
    try:
        ensure_roles(connection, logins)
    finally:
        connection.close()
