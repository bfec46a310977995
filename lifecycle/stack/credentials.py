"""The local cluster's logins: generated passwords in a libpq password file (mode 0600), and DSNs that name it.

The DSNs carry no password, only `passfile=<that file>`: libpq reads the password from there, so a DSN can be
printed, exported and logged. The file has one line per role (`*:*:*:role:password`), the format of `~/.pgpass`.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from urllib.parse import quote

from lifecycle.db_logins import WRITERS, dsn_env, password_env, writer_role, writer_roles
from lifecycle.settings import Settings
from lifecycle.stack.files import write_file

ADMIN_ROLE = "postgres"
DATABASE = "lifecycle"
PASSWORD_BYTES = 24
# Which role each process logs in as: its own for each writer (WRITERS), SELECT for the dashboard, the superuser
# to migrate.
READONLY_PROCESSES = frozenset({"dashboard"})
ADMIN_PROCESSES = frozenset({"db"})


def passfile_path(settings: Settings) -> Path:
    """The password file of the local cluster under LIFECYCLE_HOME."""
    return settings.home / "postgres" / "pgpass"


def local_dsn(settings: Settings, role: str, database: str = DATABASE) -> str:
    """The DSN of `role` on the local cluster; its password comes from the password file."""
    passfile = quote(str(passfile_path(settings)), safe="/")
    return f"postgresql://{role}@127.0.0.1:{settings.pg_port}/{database}?passfile={passfile}"


def admin_dsn(settings: Settings, database: str = DATABASE) -> str:
    """The superuser's DSN: for `db migrate`, and for the tests, which make a database each."""
    return local_dsn(settings, ADMIN_ROLE, database)


def process_dsn(settings: Settings, process: str) -> str:
    """The DSN of the login role of `process` (store, scheduler or notifier): its own rows only, no DDL."""
    return local_dsn(settings, writer_role(settings, process))


def readonly_dsn(settings: Settings) -> str:
    """The read-only role's DSN: the dashboard."""
    return local_dsn(settings, settings.db_readonly_role)


def local_dsns(settings: Settings) -> dict[str, str]:
    """The DSN settings `stack up` prints: the dashboard's read-only one and the superuser's (neither has a password).

    Store, scheduler and notifier need none: with no DSN set, each logs in as its own role (`process_dsn`)."""
    return {
        "LIFECYCLE_DATABASE_READONLY_URL": readonly_dsn(settings),
        "LIFECYCLE_DATABASE_ADMIN_URL": admin_dsn(settings),
    }


def process_environment(settings: Settings, process: str) -> dict[str, str]:
    """The DSN settings one process gets on the local stack: the least-privileged role it needs."""
    if process in WRITERS:  # its own setting: one a caller exported for another database is not used
        return {"LIFECYCLE_DATABASE_URL": "", dsn_env(process): process_dsn(settings, process)}
    if process in READONLY_PROCESSES:
        return {"LIFECYCLE_DATABASE_URL": "", "LIFECYCLE_DATABASE_READONLY_URL": readonly_dsn(settings)}
    if process in ADMIN_PROCESSES:
        # The roles keep the password file's passwords: `db migrate` must not set others.
        passwords = {password_env(writer): "" for writer in WRITERS} | {"LIFECYCLE_DB_READONLY_PASSWORD": ""}
        return {"LIFECYCLE_DATABASE_URL": "", "LIFECYCLE_DATABASE_ADMIN_URL": admin_dsn(settings), **passwords}
    return {}


def parse_passfile(text: str) -> dict[str, str]:
    """Role -> password from the lines of a password file (comments and blank lines skipped)."""
    passwords = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            fields = line.split(":", 4)
            if len(fields) == 5:
                passwords[fields[3]] = fields[4]
    return passwords


def render_passfile(passwords: dict[str, str]) -> str:
    """The password file's text: any host, port and database, one line per role."""
    head = "# The local cluster's logins, written by `lifecycle stack up`; libpq reads it (passfile=). Keep it 0600.\n"
    return head + "".join(f"*:*:*:{role}:{password}\n" for role, password in sorted(passwords.items()))


def ensure_passwords(settings: Settings) -> dict[str, str]:
    """The passwords of the superuser, writer and read-only roles: kept ones, new ones for roles without one."""
    path = passfile_path(settings)
    kept = parse_passfile(path.read_text()) if path.is_file() else {}
    roles = (ADMIN_ROLE, *writer_roles(settings).values(), settings.db_readonly_role)
    passwords = {**kept, **{role: secrets.token_urlsafe(PASSWORD_BYTES) for role in roles if not kept.get(role)}}
    # lstat: a link in its place (mode 0777) is replaced too, never followed.
    if passwords != kept or path.lstat().st_mode & 0o777 != 0o600:
        write_file(path, render_passfile(passwords), 0o600)
    return passwords
