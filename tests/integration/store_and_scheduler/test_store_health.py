"""A real `lifecycle store` process: /healthz and /readyz follow its main loop, idle or stuck on a locked table."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from health_probe import get_health
from pg_admin import with_role
from ports import free_port
from store_helpers import produce, query, wait_for
from store_samples import encoded, snapshot

from lifecycle.metrics import COMPONENT_PORT_OFFSETS
from lifecycle.settings import Settings

LIVE_SECONDS = 3


@pytest.fixture
def store_process(app_settings: Settings, lifecycle_env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    """`lifecycle store` as a child process with a 3 s liveness window; yields its health base URL."""
    port = free_port()
    env = {
        **lifecycle_env,
        "LIFECYCLE_DATABASE_URL": app_settings.database_url.get_secret_value(),
        "LIFECYCLE_METRICS_PORT": str(port - COMPONENT_PORT_OFFSETS["store"]),
        "LIFECYCLE_HEALTH_LIVE_SECONDS": str(LIVE_SECONDS),
    }
    log = tmp_path / "store.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "lifecycle.cli", "store"], env=env, stdout=out, stderr=out)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while get_health(f"{base}/readyz")[0] != 200:
            assert process.poll() is None, f"store exited: {log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, (
                f"store never ready: {get_health(f'{base}/readyz')} {log.read_text()[-3000:]}"
            )
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_an_idle_store_stays_live_and_ready(store_process: str) -> None:
    time.sleep(LIVE_SECONDS * 2)  # nothing to consume for twice the window: the loop beats on every poll
    code, body = get_health(f"{store_process}/healthz")
    assert (code, body["status"], body["component"]) == (200, "live", "store")
    assert body["last_progress_at"].endswith("Z")
    assert get_health(f"{store_process}/readyz")[0] == 200


def test_a_store_stuck_on_a_locked_table_answers_503_then_recovers(store_process: str, app_settings: Settings) -> None:
    admin_dsn = with_role(app_settings.database_url.get_secret_value(), "postgres")
    blocker = psycopg2.connect(admin_dsn)
    try:
        with blocker.cursor() as cursor:
            cursor.execute("LOCK TABLE entitlements IN ACCESS EXCLUSIVE MODE")  # held until rollback
        produce(app_settings, "entitlements", [(b"SN-1", encoded(snapshot("SN-1")))])
        wait_for(lambda: get_health(f"{store_process}/healthz")[0] == 503, "/healthz to answer 503", timeout=30)
        code, body = get_health(f"{store_process}/healthz")
        assert (code, body["status"]) == (503, "stalled")
        assert body["detail"].startswith("no main-loop beat for ")
        assert get_health(f"{store_process}/readyz")[0] == 503
    finally:
        blocker.rollback()
        blocker.close()
    wait_for(lambda: get_health(f"{store_process}/healthz")[0] == 200, "/healthz to answer 200 again", timeout=30)
    wait_for(lambda: query(admin_dsn, "SELECT count(*) FROM entitlements")[0][0] == 1, "the snapshot's row")
