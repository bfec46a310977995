"""Fixtures of the dashboard tests (integration and browser): a running `lifecycle dashboard` and its helpers."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ports import free_port

from lifecycle.settings import Settings

TOKEN = "test-token-0123456789"


@dataclass
class Dashboard:
    """The base URL and token of a running dashboard."""

    url: str
    token: str
    log: Path

    def get(self, path: str, token: str | None = TOKEN) -> tuple[int, Any]:
        """GET a path, with the bearer token unless `token` is None; (status, parsed JSON or text)."""
        request = urllib.request.Request(self.url + path)
        if token is not None:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                body = response.read().decode()
                status = response.status
        except urllib.error.HTTPError as exc:
            body, status = exc.read().decode(), exc.code
        except urllib.error.URLError as exc:
            return 0, str(exc.reason)
        try:
            return status, json.loads(body)
        except ValueError:
            return status, body

    def poll(self, path: str, check: Any, timeout: float = 60.0) -> Any:
        """GET `path` until `check(json)` is truthy; fail with the last answer after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            status, last = self.get(path)
            if status == 200 and check(last):
                return last
            time.sleep(0.3)
        pytest.fail(f"{path} never satisfied the check within {timeout}s; last answer: {str(last)[:2000]}")


def readonly_dsn(pg_dsn: str) -> str:
    """The test database's DSN for the read-only role (trust authentication locally)."""
    scheme, _, rest = pg_dsn.partition("://")
    return f"{scheme}://lifecycle_readonly@{rest.partition('@')[2]}"


@pytest.fixture
def migrated(topics: Settings) -> Settings:
    """This test's topics created, and its database with the schema and roles applied."""
    from consumers.db import migrate

    migrate(topics)
    return topics


@pytest.fixture
def worker_metrics() -> Iterator[int]:
    """A real /metrics endpoint with a fresh worker heartbeat, as `lifecycle.metrics.serve` exposes it."""
    from prometheus_client import start_http_server

    from lifecycle import metrics

    port = free_port()
    server, thread = start_http_server(port, addr="127.0.0.1")
    metrics.beat("worker")
    yield port
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def dashboard(
    migrated: Settings,
    lifecycle_env: dict[str, str],
    pg_dsn: str,
    tmp_path: Path,
    worker_metrics: int,
) -> Iterator[Dashboard]:
    """`lifecycle dashboard` as a child process, sampling every half second; stopped afterwards."""
    port = free_port()
    env = {
        **lifecycle_env,
        "LIFECYCLE_DASHBOARD_PORT": str(port),
        "LIFECYCLE_DASHBOARD_TOKEN": TOKEN,
        "LIFECYCLE_METRICS_PORT": "0",
        "LIFECYCLE_DATABASE_READONLY_URL": readonly_dsn(pg_dsn),
        "LIFECYCLE_HEALTH_TARGETS": f"worker=http://127.0.0.1:{worker_metrics},store=http://127.0.0.1:{free_port()}",
    }
    log = tmp_path / "dashboard.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "lifecycle.cli", "dashboard", "--interval", "0.5"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    board = Dashboard(f"http://127.0.0.1:{port}", TOKEN, log)
    try:
        deadline = time.monotonic() + 30
        while board.get("/healthz", token=None)[0] != 200:
            assert process.poll() is None, f"dashboard exited: {log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"dashboard did not answer: {log.read_text()[-3000:]}"
            time.sleep(0.2)
        yield board
    finally:
        process.terminate()
        process.wait(timeout=20)
