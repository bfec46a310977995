"""The local PostgreSQL cluster from Debian's packages, run as the `postgres` user under LIFECYCLE_HOME.

Every login needs its password (`scram-sha-256`, TCP and socket alike); the passwords are generated once and
kept in the stack's password file (lifecycle/stack/credentials.py). `stack up` creates the roles of store,
scheduler and notifier and the read-only role with theirs, so each of those processes logs in as its own role
and the dashboard as the read-only one; only `db migrate` (and the tests, which make a database each) use the
superuser.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg2

from lifecycle.errors import UserError
from lifecycle.settings import Settings
from lifecycle.stack.credentials import ADMIN_ROLE, ensure_passwords, readonly_dsn
from lifecycle.stack.files import write_file
from lifecycle.stack.jars import Say
from lifecycle.stack.postgres_logins import create_database_and_roles, require_passwords
from lifecycle.stack.processes import port_open, read_pid, running_pid, tail, terminate

PG_ROOT = Path("/usr/lib/postgresql")
POSTGRES_USER = "postgres"  # the OS user the cluster runs as when the stack is started by root


@dataclass(frozen=True)
class PostgresPaths:
    """Where the local cluster keeps its data, socket, log and pid file."""

    root: Path

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "run"

    @property
    def log(self) -> Path:
        return self.root / "postgres.log"

    @property
    def pid_file(self) -> Path:
        return self.root / "postgres.pid"

    @property
    def hba(self) -> Path:
        return self.data / "pg_hba.conf"


def postgres_paths(settings: Settings) -> PostgresPaths:
    """The local cluster's folder under LIFECYCLE_HOME."""
    return PostgresPaths(settings.home / "postgres")


def pg_bin() -> Path | None:
    """The bin folder of the newest PostgreSQL installed from Debian's packages, if any."""
    candidates = sorted(
        PG_ROOT.glob("*/bin/pg_ctl"), key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else 0
    )
    return candidates[-1].parent if candidates else None


def install_postgres(say: Say) -> Path:
    """Install Debian's postgresql packages when no PostgreSQL server is installed; return its bin folder."""
    found = pg_bin()
    if found is not None:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise UserError(
            "PostgreSQL is not installed: run `apt-get install -y postgresql` or set LIFECYCLE_DATABASE_URL"
        )
    say("postgresql: installing Debian's postgresql packages (apt-get)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", "--no-install-recommends", "postgresql"]):
        result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        if result.returncode != 0:
            raise UserError(f"`{' '.join(command)}` failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    found = pg_bin()
    if found is None:
        raise UserError("apt-get installed postgresql but no server binaries were found under /usr/lib/postgresql")
    return found


def postgres_owner() -> tuple[int, int] | None:
    """The `postgres` user's uid and gid when running as root (files it must read are made its own), else None."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(POSTGRES_USER)
    except KeyError:
        raise UserError(f"there is no `{POSTGRES_USER}` user: run `apt-get install -y postgresql`") from None
    return entry.pw_uid, entry.pw_gid


def _as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its tools as the `postgres` user then."""
    return ["runuser", "-u", POSTGRES_USER, "--", *command] if os.geteuid() == 0 else command


def _run(command: list[str], what: str) -> None:
    result = subprocess.run(_as_postgres(command), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise UserError(f"{what} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")


def _initdb(binaries: Path, paths: PostgresPaths, password: str) -> None:
    """A new cluster whose superuser has `password` (handed over in a file only the postgres user reads)."""
    pwfile = paths.root / ".initdb-password"
    write_file(pwfile, password + "\n", 0o600, postgres_owner())  # made the postgres user's as it is created
    initdb = [str(binaries / "initdb"), "-D", str(paths.data), "-U", ADMIN_ROLE, "-E", "UTF8", "--no-locale"]
    try:
        _run([*initdb, "-A", "scram-sha-256", f"--pwfile={pwfile}"], "initdb")
    finally:
        pwfile.unlink(missing_ok=True)


def start_postgres(settings: Settings, say: Say) -> None:
    """Start the local cluster (installing and initialising it first when needed) unless a DSN is configured."""
    if settings.database_url:
        say("postgresql: LIFECYCLE_DATABASE_URL is set; using that server, none started")
        return
    paths = postgres_paths(settings)
    passwords = ensure_passwords(settings)
    pid = running_pid(paths.pid_file, str(paths.data))
    if pid is None:
        if port_open("127.0.0.1", settings.pg_port):
            raise UserError(
                f"port {settings.pg_port} is in use by another process; set LIFECYCLE_PG_PORT to a free port"
            )
        binaries = install_postgres(say)
        owner = postgres_owner()
        for folder in (paths.root, paths.socket_dir):
            folder.mkdir(parents=True, exist_ok=True)
            if owner is not None:  # a link the postgres user put in place of `run` gets chowned, not its target
                os.chown(folder, *owner, follow_symlinks=False)
        if subprocess.run(_as_postgres(["test", "-w", str(paths.root)]), check=False).returncode != 0:
            raise UserError(f"the postgres user cannot write to {paths.root}: choose a LIFECYCLE_HOME it can reach")
        if not (paths.data / "PG_VERSION").is_file():
            say(f"postgresql: initialising a cluster in {paths.data}")
            _initdb(binaries, paths, passwords[ADMIN_ROLE])
        options = f"-p {settings.pg_port} -k {paths.socket_dir} -c listen_addresses=127.0.0.1"
        pg_ctl = [str(binaries / "pg_ctl"), "-D", str(paths.data), "-l", str(paths.log), "-w", "-t", "60"]
        try:
            _run([*pg_ctl, "-o", options, "start"], "pg_ctl start")
        except UserError as exc:
            raise UserError(f"{exc}\n{tail(paths.log)}") from None
        pid = read_pid(paths.data / "postmaster.pid")
        write_file(paths.pid_file, f"{pid}\n", 0o644)
    require_passwords(settings, paths.hba, passwords[ADMIN_ROLE], postgres_owner())
    create_database_and_roles(settings, passwords)
    say(f"postgresql: ready at 127.0.0.1:{settings.pg_port} (pid {pid}); read-only DSN {readonly_dsn(settings)}")


def postgres_status(settings: Settings) -> tuple[bool, str]:
    """Whether the database is there, and a line saying so."""
    if settings.database_url:
        try:
            psycopg2.connect(settings.database_url.get_secret_value(), connect_timeout=5).close()
        except psycopg2.OperationalError as exc:
            return False, f"postgresql: LIFECYCLE_DATABASE_URL does not answer ({str(exc).strip()})"
        return True, "postgresql: LIFECYCLE_DATABASE_URL answers (not started by this stack)"
    paths = postgres_paths(settings)
    pid = running_pid(paths.pid_file, str(paths.data))
    if pid is None:
        return False, "postgresql: not running (started by this stack)"
    return (
        True,
        f"postgresql: running (pid {pid}) at 127.0.0.1:{settings.pg_port}; read-only DSN {readonly_dsn(settings)}",
    )


def stop_postgres(settings: Settings, say: Say) -> None:
    """Stop the cluster this stack started, if it runs."""
    paths = postgres_paths(settings)
    pid = running_pid(paths.pid_file, str(paths.data))
    if pid is None:
        say("postgresql: not running")
    else:
        binaries = pg_bin()
        try:
            if binaries is None:
                raise UserError("pg_ctl not found")
            _run([str(binaries / "pg_ctl"), "-D", str(paths.data), "-m", "fast", "-w", "stop"], "pg_ctl stop")
        except UserError:
            terminate(pid, str(paths.data))
        say(f"postgresql: stopped (pid {pid})")
    paths.pid_file.unlink(missing_ok=True)
