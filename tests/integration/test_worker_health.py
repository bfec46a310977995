"""A real `lifecycle worker` with nothing to consume stays live and ready: its agent beats while it waits."""

from __future__ import annotations

import time
from pathlib import Path

from health_probe import get_health
from ports import free_port

from lifecycle.metrics import COMPONENT_PORT_OFFSETS
from lifecycle.settings import Settings
from streams.harness import WorkerProcess

LIVE_SECONDS = 3


def test_an_idle_worker_is_ready_and_stays_live(
    topics: Settings, lifecycle_env: dict[str, str], tmp_path: Path
) -> None:
    port = free_port()
    env = {**lifecycle_env, "LIFECYCLE_WORKER_STORE": "memory://", "LIFECYCLE_HEALTH_LIVE_SECONDS": str(LIVE_SECONDS)}
    worker = WorkerProcess(
        env, tmp_path / "data", free_port(), tmp_path / "worker.log", port - COMPONENT_PORT_OFFSETS["worker"]
    ).start()
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while get_health(f"{base}/readyz")[0] != 200:
            assert worker.alive, (tmp_path / "worker.log").read_text()[-3000:]
            assert time.monotonic() < deadline, f"not ready: {get_health(f'{base}/readyz')}"
            time.sleep(0.5)
        time.sleep(LIVE_SECONDS * 3)  # no input at all for three windows
        code, body = get_health(f"{base}/healthz")
        assert (code, body["status"], body["component"]) == (200, "live", "worker")
        assert get_health(f"{base}/readyz")[0] == 200
    finally:
        worker.stop()
