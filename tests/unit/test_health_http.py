"""The metrics port answers /healthz and /readyz from the recorded progress, and /metrics as before."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import pytest
from health_probe import get_health
from ports import free_port

from lifecycle import health_http, metrics
from lifecycle.dashboard.health import health_row
from lifecycle.health_probe import main as probe_main


def _call(app: Any, path: str, method: str = "GET") -> tuple[str, dict[str, str], bytes]:
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        answer.update(status=status, headers=dict(headers))

    body = b"".join(app({"PATH_INFO": path, "REQUEST_METHOD": method, "QUERY_STRING": ""}, start_response))
    return answer["status"], answer["headers"], body


def test_health_paths_answer_json_from_the_board_and_other_paths_serve_metrics() -> None:
    board = health_http.HealthBoard()
    board.started("store", live_within=60.0)
    app = health_http.wsgi_app("store", board)
    status, headers, body = _call(app, "/readyz")
    assert (status, json.loads(body)["status"]) == ("503 Service Unavailable", "starting")
    assert headers["Content-Type"] == "application/json"
    board.beat("store", time.time())
    for path, expected in (("/healthz", "live"), ("/readyz", "ready")):
        status, _, body = _call(app, path)
        assert (status, json.loads(body)["status"]) == ("200 OK", expected)
    status, _, body = _call(app, "/metrics")
    assert status == "200 OK"
    assert b"lifecycle_heartbeat_timestamp_seconds" in body


def test_a_stuck_report_turns_healthz_503_until_cleared() -> None:
    board = health_http.HealthBoard()
    board.started("worker", live_within=60.0)
    board.beat("worker", time.time())
    app = health_http.wsgi_app("worker", board)
    board.stuck("worker", "rereading a gap")
    status, _, body = _call(app, "/healthz")
    assert status == "503 Service Unavailable"
    assert json.loads(body)["status"] == "not processing"
    assert json.loads(body)["detail"] == "rereading a gap"
    board.stuck("worker", None)
    assert _call(app, "/healthz")[0] == "200 OK"


def test_health_paths_refuse_writes() -> None:
    app = health_http.wsgi_app("store", health_http.HealthBoard())
    assert _call(app, "/healthz", "POST")[0] == "405 Method Not Allowed"


@dataclass(frozen=True)
class _Settings:
    metrics_port: int
    web_bind: str = "127.0.0.1"
    health_live_seconds: float = 60.0


def test_serve_beat_and_report_stuck_drive_the_real_endpoint(capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()
    settings = _Settings(metrics_port=port - metrics.COMPONENT_PORT_OFFSETS["scheduler"])
    assert metrics.serve("scheduler", settings, live_within=30.0) == port
    base = f"http://127.0.0.1:{port}"
    assert get_health(f"{base}/readyz")[0] == 503  # served, but the loop has not beaten yet
    metrics.beat("scheduler")
    assert get_health(f"{base}/readyz")[0] == 200
    metrics.report_stuck("scheduler", "sweep waits on a lock")
    code, body = get_health(f"{base}/healthz")
    assert (code, body["status"], body["detail"]) == (503, "not processing", "sweep waits on a lock")
    assert probe_main([f"{base}/healthz"]) == 1
    metrics.report_stuck("scheduler", None)
    metrics.report_ready("scheduler", "catching up")
    assert get_health(f"{base}/healthz")[0] == 200
    assert get_health(f"{base}/readyz")[1]["detail"] == "catching up"
    metrics.report_ready("scheduler", None)
    assert probe_main([f"{base}/readyz"]) == 0
    assert probe_main([f"http://127.0.0.1:{free_port()}/healthz"]) == 1
    assert probe_main(["healthz"]) == 2
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith('503 {"status": "not processing"')
    assert lines[2].startswith("no answer from http://127.0.0.1:")


def test_the_dashboard_reads_a_healthz_answer_and_ignores_what_is_not_one() -> None:
    now = 1_780_000_010.0
    live = '{"status": "live", "last_progress_at": "2026-05-28T20:26:40.000Z", "detail": "main loop beat 1 s ago"}'
    assert health_row("store", "http://s:9402", 200, live, now) == {
        "component": "store",
        "endpoint": "http://s:9402",
        "heartbeat_age_s": 10.0,
        "status": "up",
        "detail": "",
    }
    stuck = '{"status": "not processing", "last_progress_at": null, "detail": "rereading a gap"}'
    row = health_row("worker", "http://w:9401", 503, stuck, now)
    assert row is not None
    assert (row["status"], row["detail"], row["heartbeat_age_s"]) == ("stale", "not processing: rereading a gap", None)
    assert health_row("worker", "u", 200, "# HELP lifecycle_events_total ...", now) is None  # a /metrics-only server
    assert health_row("worker", "u", 404, '{"status": "x"}', now) is None
