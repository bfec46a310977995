"""The child processes `lifecycle up` starts: one `lifecycle <name>` each, logged to a file, stopped in reverse.

Each child gets the environment with only its own secret settings: CHILD_SECRETS is the one table of which
child may receive which; every other secret setting (a DSN, password or token) is removed from its environment.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from lifecycle.db_logins import WRITERS, dsn_env, password_env
from lifecycle.errors import UserError
from lifecycle.redact import SECRET_SETTINGS
from lifecycle.settings_files import secret_of_file_setting

STOP_TIMEOUT_S = 20.0
PR_SET_PDEATHSIG = 1

_KAFKA = frozenset({"LIFECYCLE_KAFKA_SASL_PASSWORD"})
# Child (`lifecycle <name>`) -> the secret settings it reads. A secret setting no row names reaches no child.
CHILD_SECRETS: dict[str, frozenset[str]] = {
    "topics": _KAFKA,
    # The migration alone: the superuser's DSN (or DATABASE_URL when no admin DSN is set) and the roles' passwords.
    "db": frozenset(
        {
            "LIFECYCLE_DATABASE_ADMIN_URL",
            "LIFECYCLE_DATABASE_URL",
            *(password_env(process) for process in WRITERS),
            "LIFECYCLE_DB_READONLY_PASSWORD",
        }
    ),
    "worker": _KAFKA,
    # Its own DSN setting (on the local stack the DSN of its own role: lifecycle/stack/credentials.py), never
    # another's; DATABASE_URL, the DSN when none of its own is set.
    "store": _KAFKA | {dsn_env("store"), "LIFECYCLE_DATABASE_URL"},
    "scheduler": _KAFKA | {dsn_env("scheduler"), "LIFECYCLE_DATABASE_URL"},
    "notifier": _KAFKA | {dsn_env("notifier"), "LIFECYCLE_DATABASE_URL", "LIFECYCLE_SMTP_PASSWORD"},
    "dashboard": _KAFKA
    | {"LIFECYCLE_DATABASE_READONLY_URL", "LIFECYCLE_DASHBOARD_TOKEN", "LIFECYCLE_DASHBOARD_OPERATOR_TOKEN"},
    "samples": frozenset(),
    "emit": _KAFKA,
}


def own_secrets_only(environ: Mapping[str, str], name: str) -> dict[str, str]:
    """`environ` without the secret settings child `name` may not receive (names compared as settings read them)."""
    allowed = CHILD_SECRETS.get(name, frozenset())
    secret = frozenset(SECRET_SETTINGS) - allowed
    # `<SECRET>_FILE` names where a secret is: a child not allowed the secret is not told where it is either. One
    # allowed and also given as a value (the local stack sets the roles' passwords its own way) is given as that.
    given = {key.upper() for key in environ} & frozenset(SECRET_SETTINGS)
    return {
        key: value
        for key, value in environ.items()
        if key.upper() not in secret
        and secret_of_file_setting(key, secret) is None
        and secret_of_file_setting(key, given) is None
    }


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the parent dies, so a killed `up` leaves nothing behind."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    os.setsid()


class Children:
    """Starts, watches and stops the pipeline's processes."""

    def __init__(
        self,
        env: dict[str, str],
        logs: Path,
        say: Callable[[str], None],
        own_env: Callable[[str], dict[str, str]] = lambda _name: {},
    ) -> None:
        self.env = env
        self.logs = logs
        self.say = say
        self.own_env = own_env  # what one child gets on top of `env`: its database role
        # `env` may hold every secret: each child keeps only its own (CHILD_SECRETS).
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *args: str) -> None:
        """Start `lifecycle <name> [args]` with output to logs/<name>.log."""
        log_path = self.logs / f"{name}.log"
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "lifecycle.cli", name, *args],
                env=own_secrets_only({**self.env, **self.own_env(name)}, name),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent,  # noqa: PLW1509 - only prctl and setsid, no locks taken
            )
        self.running[name] = process
        self.say(f"started {name} (pid {process.pid}), log {log_path}")

    def check(self) -> None:
        """Raise when a child has exited on its own."""
        for name, process in self.running.items():
            code = process.poll()
            if code is not None:
                log_path = self.logs / f"{name}.log"
                last = log_path.read_text(errors="replace").strip().splitlines()[-8:]
                raise UserError(f"{name} exited with {code}; the end of {log_path}:\n  " + "\n  ".join(last))

    def stop_all(self) -> None:
        """SIGTERM every child in reverse start order, SIGKILL any still alive after STOP_TIMEOUT_S."""
        for process in reversed(list(self.running.values())):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for name, process in reversed(list(self.running.items())):
            try:
                code = process.wait(timeout=STOP_TIMEOUT_S)
                self.say(f"stopped {name} (exit {code})")
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                self.say(f"killed {name}: it did not stop within {STOP_TIMEOUT_S:.0f}s")
        self.running.clear()
