"""The PostgreSQL login of each process that writes rows: a role of its own, named by settings.

Process `p` logs in as the role in setting `db_<p>_role`; `lifecycle db migrate` sets `db_<p>_password` on it.
What each role may do, per table, is consumers/grants.py.
"""

from __future__ import annotations

from lifecycle.settings import Settings
from lifecycle.settings_source import PREFIX

WRITERS = ("store", "scheduler", "notifier")


def role_field(process: str) -> str:
    """The setting naming the login role of `process`."""
    return f"db_{process}_role"


def password_field(process: str) -> str:
    """The setting holding the password `db migrate` sets on the role of `process`."""
    return f"db_{process}_password"


def password_env(process: str) -> str:
    """The environment variable of `password_field(process)`."""
    return PREFIX + password_field(process).upper()


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
