"""The PostgreSQL login of each process that writes rows: a role of its own, named by settings.

Process `p` logs in as the role in setting `db_<p>_role`, with the DSN in `database_<p>_url` (else
`database_url`); `lifecycle db migrate` sets `db_<p>_password` on it. What each role may do, per table, is
consumers/grants.py, whose rows are these processes.
"""

from __future__ import annotations

from lifecycle.errors import UserError
from lifecycle.settings import Settings
from lifecycle.settings_source import PREFIX

WRITERS = ("store", "scheduler", "notifier")


def role_field(process: str) -> str:
    """The setting naming the login role of `process`."""
    return f"db_{process}_role"


def password_field(process: str) -> str:
    """The setting holding the password `db migrate` sets on the role of `process`."""
    return f"db_{process}_password"


def dsn_field(process: str) -> str:
    """The setting holding the DSN `process` logs in with."""
    return f"database_{process}_url"


def env_name(field: str) -> str:
    """The environment variable of setting `field`."""
    return PREFIX + field.upper()


def password_env(process: str) -> str:
    """The environment variable of `password_field(process)`."""
    return env_name(password_field(process))


def dsn_env(process: str) -> str:
    """The environment variable of `dsn_field(process)`."""
    return env_name(dsn_field(process))


def writer_role(settings: Settings, process: str) -> str:
    """The login role of `process` (one of WRITERS)."""
    role: str = getattr(settings, role_field(process))
    return role


def writer_roles(settings: Settings) -> dict[str, str]:
    """Process -> its login role, for every process that writes rows."""
    return {process: writer_role(settings, process) for process in WRITERS}


def writer_password(settings: Settings, process: str) -> str:
    """The password `db migrate` sets on the role of `process`; empty leaves the role's as it is."""
    password: str = getattr(settings, password_field(process)).get_secret_value()
    return password


def writer_dsn(settings: Settings, process: str) -> str:
    """The DSN set for `process` itself; empty when none is."""
    dsn: str = getattr(settings, dsn_field(process)).get_secret_value()
    return dsn


def check_distinct_roles(settings: Settings) -> None:
    """Refuse a writer role that is also the owner or the read-only role (writers may share one among themselves)."""
    others = {env_name(field): getattr(settings, field) for field in ("db_owner_role", "db_readonly_role")}
    for process, role in writer_roles(settings).items():
        for setting, other in others.items():
            if role == other:
                raise UserError(
                    f"{env_name(role_field(process))} and {setting} are both {role!r}: "
                    "a writer logs in as a role of its own, never the owner or the read-only one; rename one"
                )
