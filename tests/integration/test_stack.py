"""`lifecycle stack`: status of an empty home, and a whole up/status/down cycle on spare ports, with its logins."""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType

from lifecycle.stack.credentials import parse_passfile

STACK_TIMEOUT_S = 600


def stack(env: dict[str, str], action: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "lifecycle.cli", "stack", action]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=STACK_TIMEOUT_S, check=False)


def free_port_pair() -> int:
    """A port p with p and p + 1 both free (the broker and its controller)."""
    for _attempt in range(50):
        with socket.socket() as first:
            first.bind(("127.0.0.1", 0))
            port: int = first.getsockname()[1]
            with socket.socket() as second:
                try:
                    second.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
        return port
    raise AssertionError("no two adjacent free ports found")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def stack_home() -> Iterator[Path]:
    """A LIFECYCLE_HOME the postgres user can reach (pytest's tmp_path is private to root)."""
    home = Path(tempfile.mkdtemp(prefix="lifecycle-stack-", dir="/tmp"))
    home.chmod(0o755)
    yield home
    shutil.rmtree(home, ignore_errors=True)


def stack_env(home: Path, kafka_port: int, pg_port: int) -> dict[str, str]:
    return {
        **os.environ,
        "LIFECYCLE_HOME": str(home),
        "LIFECYCLE_KAFKA_PORT": str(kafka_port),
        "LIFECYCLE_PG_PORT": str(pg_port),
        "LIFECYCLE_DATABASE_URL": "",
    }


def test_status_of_a_stack_that_never_started(stack_home: Path) -> None:
    result = stack(stack_env(stack_home, free_port_pair(), free_port()), "status")

    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "kafka: not running (started by this stack)",
        "postgresql: not running (started by this stack)",
    ]


def test_up_status_and_down_on_spare_ports(stack_home: Path) -> None:
    kafka_port, pg_port = free_port_pair(), free_port()
    env = stack_env(stack_home, kafka_port, pg_port)
    passfile = stack_home / "postgres" / "pgpass"
    dsn = f"postgresql://lifecycle_readonly@127.0.0.1:{pg_port}/lifecycle?passfile={passfile}"
    store_dsn = f"postgresql://lifecycle_store@127.0.0.1:{pg_port}/lifecycle?passfile={passfile}"
    try:
        up = stack(env, "up")
        assert up.returncode == 0, up.stdout + up.stderr
        assert f"kafka: ready at 127.0.0.1:{kafka_port}" in up.stdout
        assert f"export LIFECYCLE_DATABASE_READONLY_URL={shlex.quote(dsn)}" in up.stdout
        assert f"postgresql: store logs in with {store_dsn}" in up.stdout
        assert "export LIFECYCLE_DATABASE_URL=" not in up.stdout  # each process finds its own role

        status = stack(env, "status")
        assert status.returncode == 0, status.stdout
        kafka_line, pg_line = status.stdout.splitlines()
        assert kafka_line.startswith("kafka: running (pid ")
        assert f"at 127.0.0.1:{kafka_port}, answers metadata requests" in kafka_line
        assert pg_line.startswith("postgresql: running (pid ")
        assert pg_line.endswith(f"read-only DSN {dsn}")

        admin = KafkaAdminClient(bootstrap_servers=f"127.0.0.1:{kafka_port}")
        try:
            assert admin.describe_cluster()["brokers"][0]["port"] == kafka_port
            resource = ConfigResource(ConfigResourceType.BROKER, "1")
            broker = admin.describe_configs([resource], config_filter="all")["broker"]["1"]
            assert broker["auto.create.topics.enable"]["value"] == "false"  # only `lifecycle topics` makes topics
        finally:
            admin.close()
        with psycopg2.connect(dsn) as connection, connection.cursor() as cursor:
            cursor.execute("SELECT current_database()")
            assert cursor.fetchone() == ("lifecycle",)
        assert "Kafka Server started" in (stack_home / "kafka" / "logs" / "server.log").read_text()
        assert (stack_home / "kafka").stat().st_mode & 0o777 == 0o700  # the broker's records: owner only
        segments = [path for path in (stack_home / "kafka" / "data").rglob("*") if path.is_file()]
        assert segments
        assert all(path.stat().st_mode & 0o077 == 0 for path in segments), [oct(p.stat().st_mode) for p in segments]

        again = stack(env, "up")
        assert again.returncode == 0
        assert "kafka: already running" in again.stdout
        outputs = up.stdout + up.stderr + status.stdout + again.stdout + again.stderr
        assert_least_privilege_logins(stack_home, pg_port, outputs)
    finally:
        down = stack(env, "down")
    assert down.returncode == 0
    assert "kafka: stopped" in down.stdout
    assert "postgresql: stopped" in down.stdout
    assert stack(env, "status").returncode == 1


def login(pg_port: int, role: str, passfile: Path | None = None, password: str = "") -> tuple[str, bool, str]:
    """Log in over TCP as `role`; return current_user, whether it is a superuser, and its read-only default."""
    params: dict[str, Any] = {"passfile": str(passfile)} if passfile else {}
    connection = psycopg2.connect(
        host="127.0.0.1", port=pg_port, dbname="lifecycle", user=role, password=password, connect_timeout=5, **params
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_user, rolsuper, current_setting('default_transaction_read_only') "
                "FROM pg_roles WHERE rolname = current_user"
            )
            row = cursor.fetchone()
            assert row is not None
            return str(row[0]), bool(row[1]), str(row[2])
    finally:
        connection.close()


def assert_least_privilege_logins(home: Path, pg_port: int, outputs: str) -> None:
    """The processes' roles are no superusers; no login without its password; no password printed."""
    passfile = home / "postgres" / "pgpass"
    assert passfile.stat().st_mode & 0o777 == 0o600
    passwords = parse_passfile(passfile.read_text())
    writers = {"lifecycle_store", "lifecycle_scheduler", "lifecycle_notifier"}
    assert set(passwords) == {"postgres", "lifecycle_readonly", *writers}
    assert len(set(passwords.values())) == len(passwords)

    for role in writers:
        assert login(pg_port, role, passfile) == (role, False, "off")
    assert login(pg_port, "lifecycle_readonly", passfile) == ("lifecycle_readonly", False, "on")
    assert login(pg_port, "postgres", passfile)[:2] == ("postgres", True)
    for role in passwords:
        with pytest.raises(psycopg2.OperationalError, match="no password supplied"):
            login(pg_port, role)
        with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
            login(pg_port, role, password="not-the-password")

    server_log = (home / "postgres" / "postgres.log").read_text()
    for password in passwords.values():
        assert password not in outputs
        assert password not in server_log
