"""Reaching PostgreSQL: the DSNs settings give each process, and connections whose failures are one line."""

from __future__ import annotations

import psycopg2
from psycopg2.extensions import connection as Connection  # noqa: N812 - the driver's own class name

from lifecycle.db_logins import dsn_env, writer_dsn
from lifecycle.errors import UserError
from lifecycle.redact import redact
from lifecycle.settings import Settings
from lifecycle.stack import credentials

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


def process_dsn(settings: Settings, process: str) -> str:
    """The DSN of `process` (store, scheduler or notifier): its own setting, else DATABASE_URL, else the local stack's.

    One DSN for all three must log in as a role with the rights of each (the owner, or a role they share).
    """
    own = writer_dsn(settings, process) or settings.database_url.get_secret_value()
    return own or credentials.process_dsn(settings, process)


def process_setting(settings: Settings, process: str) -> str:
    """The setting `process_dsn` comes from, for error messages."""
    return dsn_env(process) if writer_dsn(settings, process) else "LIFECYCLE_DATABASE_URL"


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
