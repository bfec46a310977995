"""`lifecycle up` on a fresh home: its own broker and PostgreSQL, every process, samples; Ctrl-C leaves nothing."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import psycopg2
import pytest
from replay_agreement import snapshot_differences
from topic_reading import read_topic

from lifecycle.replay import replay_events
from lifecycle.rules import Policy
from lifecycle.settings import Settings
from lifecycle.stack.credentials import admin_dsn, parse_passfile

TOKEN = "up-smoke-token-0123456789"
READY_TIMEOUT_S = 420.0
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def free_port(span: int = 1) -> int:
    """A port p with p..p+span-1 all free right now."""
    for _ in range(200):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port: int = probe.getsockname()[1]
        if port + span < 65000 and all(_free(port + offset) for offset in range(span)):
            return port
    raise AssertionError("no free port range found")


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def wait_for(what: str, check: Callable[[], Any], timeout: float) -> Any:
    """Poll `check` until it returns something truthy; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.5)
    pytest.fail(f"{what} did not happen within {timeout:.0f}s")


def processes_of(home: Path) -> list[str]:
    """Live processes whose command line or environment mentions this home folder."""
    marker = str(home).encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z" and (marker in cmdline or marker in environ):
            found.append(f"{entry.name}: {cmdline.replace(bytes(1), b' ').decode(errors='replace')[:200]}")
    return found


@pytest.fixture
def home() -> Iterator[Path]:
    """A fresh LIFECYCLE_HOME the `postgres` user can reach (PostgreSQL runs as that user when we are root)."""
    folder = Path(tempfile.mkdtemp(prefix="lifecycle-up-", dir="/tmp"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def dashboard_get(url: str, token: str | None) -> int:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            json.loads(response.read())
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (urllib.error.URLError, OSError):
        return 0


def entitlement_count(dsn: str, pattern: str) -> int:
    try:
        with psycopg2.connect(dsn, connect_timeout=3) as connection, connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM entitlements WHERE serial LIKE %s", (pattern,))
            row = cursor.fetchone()
            count = int(row[0]) if row else 0
        connection.close()
        return count
    except psycopg2.Error:
        return 0


@pytest.mark.timeout(900)
def test_up_runs_the_pipeline_and_ctrl_c_leaves_nothing_behind(home: Path) -> None:
    kafka_port, pg_port, metrics_base = free_port(2), free_port(), free_port(6)
    dashboard_port, web_port = free_port(), free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("LIFECYCLE_")}
    env.update(
        LIFECYCLE_HOME=str(home),
        LIFECYCLE_TOPIC_PREFIX=f"t{secrets.token_hex(5)}",
        LIFECYCLE_KAFKA_PORT=str(kafka_port),
        LIFECYCLE_PG_PORT=str(pg_port),
        LIFECYCLE_METRICS_PORT=str(metrics_base),
        LIFECYCLE_DASHBOARD_PORT=str(dashboard_port),
        LIFECYCLE_WEB_PORT=str(web_port),
        LIFECYCLE_DASHBOARD_TOKEN=TOKEN,
        LIFECYCLE_SCHEDULER_INTERVAL="5",
    )
    output = home.parent / f"{home.name}.out"
    started = time.monotonic()
    with output.open("wb") as out:
        up = subprocess.Popen(
            [sys.executable, "-m", "lifecycle.cli", "up", "--rate", "3"], env=env, stdout=out, stderr=subprocess.STDOUT
        )

    def text() -> str:
        return output.read_text(errors="replace")

    try:
        wait_for("READY", lambda: "READY in" in text() or up.poll() is not None, READY_TIMEOUT_S)
        assert up.poll() is None, text()[-4000:]
        ready_s = time.monotonic() - started
        overview = f"http://127.0.0.1:{dashboard_port}/api/overview"
        assert dashboard_get(overview, None) == 401
        assert dashboard_get(overview, TOKEN) == 200
        dsn = admin_dsn(Settings.from_env(env))
        wait_for("a sample purchase in the store", lambda: entitlement_count(dsn, "SN-%"), 180)
        wait_for("a live purchase in the store", lambda: entitlement_count(dsn, "LIVE-%"), 120)
        wait_for("an .eml in the outbox", lambda: list((home / "outbox").rglob("*.eml")), 180)
        check_least_privilege_sessions(dsn, home, text)
        assert re.search(r"dashboard: http://127\.0\.0\.1:\d+/login \(sign in with LIFECYCLE_DASHBOARD_TOKEN\)", text())
        assert TOKEN not in text()  # a configured token is never printed
        check_sample_traffic(home, env, kafka_port)
        print(f"lifecycle up ready after {ready_s:.1f}s (fresh home)")
    finally:
        if up.poll() is None:
            up.send_signal(signal.SIGINT)
        code = up.wait(timeout=180)
        keep_logs(home, output)
    log = output.read_text(errors="replace")
    assert code == 0, log[-4000:]
    assert "stopped" in log.splitlines()[-1], log[-2000:]
    leftovers = wait_for_nothing(home)
    assert leftovers == [], leftovers


def pipeline_sessions(dsn: str) -> dict[str, set[tuple[str, bool]]]:
    """Per process (application_name), the roles its PostgreSQL sessions log in as and whether each is a superuser."""
    query = (
        "SELECT a.application_name, a.usename, r.rolsuper FROM pg_stat_activity a "
        "JOIN pg_roles r ON r.rolname = a.usename WHERE a.application_name LIKE 'lifecycle-%'"
    )
    sessions: dict[str, set[tuple[str, bool]]] = {}
    with psycopg2.connect(dsn, connect_timeout=3) as connection, connection.cursor() as cursor:
        cursor.execute(query)
        for name, role, superuser in cursor.fetchall():
            sessions.setdefault(name.removeprefix("lifecycle-"), set()).add((role, superuser))
    connection.close()
    return sessions


def check_least_privilege_sessions(dsn: str, home: Path, text: Callable[[], str]) -> None:
    """store, scheduler and notifier log in as their own roles, the dashboard as the read-only one; no password."""
    wanted = {"store", "notifier", "dashboard"}  # the scheduler holds a session only while it sweeps

    def all_in() -> dict[str, set[tuple[str, bool]]]:
        seen = pipeline_sessions(dsn)
        return seen if seen.keys() >= wanted else {}

    sessions = wait_for("sessions of store, notifier and dashboard", all_in, 60)
    expected = {"store": "lifecycle_store", "scheduler": "lifecycle_scheduler", "notifier": "lifecycle_notifier"}
    expected["dashboard"] = "lifecycle_readonly"
    for process, logins in sessions.items():
        assert logins == {(expected.get(process, "a role of its own"), False)}, (process, logins)
    passfile = home / "postgres" / "pgpass"
    assert passfile.stat().st_mode & 0o777 == 0o600
    logs = text() + "".join(path.read_text(errors="replace") for path in (home / "logs").glob("*.log"))
    assert not [password for password in parse_passfile(passfile.read_text()).values() if password in logs]
    print(f"database sessions: {sorted(sessions.items())}")


def keep_logs(home: Path, output: Path) -> None:
    """Copy the run's logs to test-artifacts/up-logs for a look after the test."""
    keep = ARTIFACTS / "up-logs"
    shutil.rmtree(keep, ignore_errors=True)
    shutil.copytree(home / "logs", keep)
    shutil.copy(output, keep / "up.out")


def wait_for_nothing(home: Path, timeout: float = 20.0) -> list[str]:
    """The processes still tied to `home` once they had `timeout` seconds to go."""
    deadline = time.monotonic() + timeout
    while (left := processes_of(home)) and time.monotonic() < deadline:
        time.sleep(0.5)
    return left


def check_sample_traffic(home: Path, env: dict[str, str], kafka_port: int) -> None:
    """The samples, sent topic by topic in any order across topics, end as replay says; only poison is refused.

    Replay's clock runs past the hold period of the two events whose purchase never comes (SN-NOPE, SN-GHOST);
    the live ones wait on the wall clock instead, so they are held, not dead-lettered.
    """
    lines = (home / "samples.jsonl").read_text().splitlines()
    settings = Settings.from_env({**env, "LIFECYCLE_KAFKA_BOOTSTRAP": f"127.0.0.1:{kafka_port}"})

    def differences() -> list[str]:
        replayed = replay_events(lines, datetime.now(UTC), Policy.with_lead_days(settings.reminder_lead_days))
        live = {}
        for key, value in read_topic(settings, "entitlements", 30):
            if key is not None and key.startswith(b"SN-") and value is not None:
                live[key.decode()] = orjson.loads(value)
        return snapshot_differences(live, replayed["entitlements"])

    last: list[str] = []

    def agrees() -> bool:
        last[:] = differences()
        return not last

    try:
        wait_for("the sample serials to end as replay says", agrees, 240)
    except pytest.fail.Exception:
        pytest.fail(f"the sample serials differ from replay after 240s: {last[:20]}; logged: {troubles(home)}")
    replayed = replay_events(lines, datetime.now(UTC), Policy.with_lead_days(settings.reminder_lead_days))
    deliberate = {r["event_id"] for r in replayed["rejected"] if "no purchase for serial" not in r["reason"]}
    letters = [orjson.loads(value) for _, value in read_topic(settings, "deadletter", 30) if value is not None]
    refused = [_event_id(letter) for letter in letters]
    assert refused, "the samples' poison and rule refusals reach the dead-letter topic"
    assert set(refused) <= deliberate, [letter["reason"] for letter in letters]
    print(f"sample traffic: {len(letters)} dead letters, all deliberate ({len(deliberate)} in the samples)")


def troubles(home: Path, keep: int = 15) -> list[str]:
    """The last warnings and errors the pipeline's processes logged, to tell why a check did not pass."""
    lines = [
        f"{path.stem}: {line}"
        for path in sorted((home / "logs").glob("*.log"))
        for line in path.read_text(errors="replace").splitlines()
        if re.search(r"\b(WARNING|ERROR|CRITICAL)\b", line)
    ]
    return lines[-keep:]


def _event_id(letter: dict[str, Any]) -> str | None:
    try:
        document = orjson.loads(letter["payload"] or "null")
    except orjson.JSONDecodeError:
        return None
    return document.get("event_id") if isinstance(document, dict) else None
