"""Canary secrets never reach a process's output: store, scheduler and notifier, run as commands, meet a malformed
DSN, a database that is down or a refused SMTP login, and each says what is wrong in one line, without a traceback.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from ports import free_port
from tls_server import Logins, Pki

from consumers.db import migrate
from lifecycle.settings import Settings

DB_CANARY = "dbcanary-7f3a9c"
SMTP_CANARY = "smtpcanary-41d2e8"
CANARIES = {
    "LIFECYCLE_SMTP_PASSWORD": SMTP_CANARY,
    "LIFECYCLE_KAFKA_SASL_PASSWORD": "saslcanary-0b6e11",
    "LIFECYCLE_DASHBOARD_TOKEN": "tokencanary-93c0aa",
    "LIFECYCLE_DB_STORE_PASSWORD": "storepwcanary-5d7f02",
    "LIFECYCLE_DB_SCHEDULER_PASSWORD": "schedpwcanary-2a61be",
    "LIFECYCLE_DB_NOTIFIER_PASSWORD": "notipwcanary-8e03d7",
    "LIFECYCLE_DB_READONLY_PASSWORD": "ropwcanary-c4e913",
}
MALFORMED_DSNS = {
    "unclosed IPv6 host": f"postgresql://lifecycle_store:{DB_CANARY}@[::1/lifecycle",  # libpq quotes the whole URI
    "one slash": f"postgresql:/lifecycle_store:{DB_CANARY}@127.0.0.1/lifecycle",  # "missing = after <the DSN>"
    "bad percent escape": f"postgresql://lifecycle_store:{DB_CANARY}%zz@127.0.0.1:1/lifecycle",
}
COMMANDS = {"store": ["store"], "scheduler": ["scheduler", "--once"], "notifier": ["notifier"]}


def _env(lifecycle_env: dict[str, str], **changes: str) -> dict[str, str]:
    return {**lifecycle_env, **CANARIES, "LIFECYCLE_METRICS_PORT": "0", **changes}


def _lifecycle(*args: str) -> list[str]:
    return [sys.executable, "-m", "lifecycle.cli", *args]


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run `lifecycle ARGS` to its end (a minute at most), capturing stdout and stderr."""
    return subprocess.run(_lifecycle(*args), check=False, env=env, capture_output=True, text=True, timeout=60)


def _assert_no_canary_nor_traceback(output: str) -> None:
    for canary in (DB_CANARY, *CANARIES.values()):
        assert canary not in output
    assert "Traceback" not in output


def _last_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert lines, "nothing on stderr"
    return lines[-1]


@pytest.mark.parametrize("dsn", MALFORMED_DSNS.values(), ids=MALFORMED_DSNS)
def test_a_malformed_dsn_is_one_line_without_its_password(
    topics: Settings, lifecycle_env: dict[str, str], dsn: str
) -> None:
    env = _env(lifecycle_env, LIFECYCLE_DATABASE_URL=dsn)

    for command, args in COMMANDS.items():
        result = _run(args, env)

        assert result.returncode == 2, result.stderr
        assert _last_line(result.stderr).startswith(f"lifecycle {command}: LIFECYCLE_DATABASE_URL is not a valid")
        _assert_no_canary_nor_traceback(result.stdout + result.stderr)


def test_a_database_that_is_down_stops_a_one_shot_command_in_one_line(
    topics: Settings, lifecycle_env: dict[str, str]
) -> None:
    env = _env(lifecycle_env, LIFECYCLE_DATABASE_URL=f"postgresql://app:{DB_CANARY}@127.0.0.1:{free_port()}/x")

    for command in ("scheduler", "notifier"):
        result = _run(COMMANDS[command], env)

        assert result.returncode == 2, result.stderr
        last = _last_line(result.stderr)
        assert last.startswith(f"lifecycle {command}: ")
        assert "Connection refused" in last
        assert last.endswith("check LIFECYCLE_DATABASE_URL")
        _assert_no_canary_nor_traceback(result.stdout + result.stderr)


def test_the_store_waits_for_a_database_that_is_down_and_says_so_without_the_password(
    topics: Settings, lifecycle_env: dict[str, str], tmp_path: Path
) -> None:
    env = _env(lifecycle_env, LIFECYCLE_DATABASE_URL=f"postgresql://app:{DB_CANARY}@127.0.0.1:{free_port()}/x")
    log = tmp_path / "store.log"
    with log.open("w") as sink:
        process = subprocess.Popen(_lifecycle("store"), env=env, stdout=sink, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while "the store retries" not in log.read_text() and time.monotonic() < deadline:
                assert process.poll() is None, log.read_text()
                time.sleep(0.2)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)

    output = log.read_text()
    (line,) = [line for line in output.splitlines() if "cannot connect to PostgreSQL" in line]
    assert line.endswith("check LIFECYCLE_DATABASE_URL; the store retries")
    assert process.returncode == 0, output
    _assert_no_canary_nor_traceback(output)


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return Pki(tmp_path)


@pytest.fixture
def smtp_server(pki: Pki) -> Iterator[tuple[int, Logins]]:
    """An SMTP server with STARTTLS (a certificate for localhost) that refuses every login but notices/right."""
    logins = Logins("notices", "right")
    port = free_port()
    context = pki.server_context("localhost")
    controller = Controller(object(), hostname="127.0.0.1", port=port, tls_context=context, authenticator=logins)
    controller.start()
    yield port, logins
    controller.stop()


@pytest.mark.parametrize(
    ("case", "changes", "expected"),
    [
        ("login refused", {}, "check LIFECYCLE_SMTP_USERNAME and LIFECYCLE_SMTP_PASSWORD"),
        ("untrusted CA", {"LIFECYCLE_SMTP_CAFILE": ""}, "check LIFECYCLE_SMTP_CAFILE"),
        ("another host", {"LIFECYCLE_SMTP_HOST": "127.0.0.1"}, "check LIFECYCLE_SMTP_HOST"),
        ("login in clear", {"LIFECYCLE_SMTP_TLS": "none", "LIFECYCLE_SMTP_CAFILE": ""}, "ALLOW_PLAINTEXT_AUTH=true"),
    ],
)
def test_the_notifier_refuses_to_start_on_a_wrong_smtp_setting_in_one_line(
    settings: Settings,
    lifecycle_env: dict[str, str],
    pki: Pki,
    smtp_server: tuple[int, Logins],
    case: str,
    changes: dict[str, str],
    expected: str,
) -> None:
    migrate(settings)
    port, logins = smtp_server
    smtp = {
        "LIFECYCLE_SMTP_HOST": "localhost",
        "LIFECYCLE_SMTP_PORT": str(port),
        "LIFECYCLE_SMTP_TLS": "starttls",
        "LIFECYCLE_SMTP_CAFILE": pki.ca_file,
        "LIFECYCLE_SMTP_USERNAME": "notices",
    }
    env = _env(lifecycle_env, **{**smtp, **changes})

    result = _run(["notifier"], env)

    assert result.returncode == 2, result.stderr
    last = _last_line(result.stderr)
    assert last.startswith("lifecycle notifier: ")
    assert expected in last
    _assert_no_canary_nor_traceback(result.stdout + result.stderr)
    # Only over a verified TLS session did the password leave the notifier (smtplib tries PLAIN, then LOGIN).
    if case == "login refused":
        assert logins.attempts
        assert set(logins.attempts) == {("notices", SMTP_CANARY)}
    else:
        assert logins.attempts == []
