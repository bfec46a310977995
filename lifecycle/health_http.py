"""The metrics port's HTTP server: /healthz and /readyz from each component's recorded progress, /metrics else.

`BOARD` keeps every component's `Progress` (lifecycle/health.py); lifecycle/metrics.py records into it
and starts the server with `start(component, port, addr)`.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import make_wsgi_app

from lifecycle.health import Progress, liveness, readiness
from lifecycle.settings import Settings

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
REASONS = {200: "200 OK", 503: "503 Service Unavailable", 404: "404 Not Found", 405: "405 Method Not Allowed"}
# For a component that has not started yet: the setting's default (serve() passes the configured value).
DEFAULT_LIVE_WITHIN = float(Settings.model_fields["health_live_seconds"].default)


class HealthBoard:
    """Every component's progress in this process, safe to update from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._progress: dict[str, Progress] = {}

    def _update(self, component: str, **changes: Any) -> None:
        with self._lock:
            current = self._progress.get(component) or Progress(component, time.time(), DEFAULT_LIVE_WITHIN)
            self._progress[component] = replace(current, **changes)

    def started(self, component: str, live_within: float) -> None:
        """The component starts now (again): its loop has not beaten yet."""
        with self._lock:
            self._progress[component] = Progress(component, time.time(), live_within)

    def beat(self, component: str, at: float) -> None:
        self._update(component, last_beat=at)

    def stuck(self, component: str, reason: str | None) -> None:
        self._update(component, stuck=reason)

    def not_ready(self, component: str, reason: str | None) -> None:
        self._update(component, not_ready=reason)

    def progress(self, component: str) -> Progress:
        with self._lock:
            return self._progress.get(component) or Progress(component, time.time(), DEFAULT_LIVE_WITHIN)


BOARD = HealthBoard()


def wsgi_app(component: str, board: HealthBoard = BOARD) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """The component's health paths in front of prometheus_client's metrics app."""
    metrics_app = make_wsgi_app()

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path not in ("/healthz", "/readyz"):
            return metrics_app(environ, start_response)  # type: ignore[no-any-return]
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            start_response(REASONS[405], [("Allow", "GET, HEAD"), ("Content-Length", "0")])
            return [b""]
        check = liveness if path == "/healthz" else readiness
        answer = check(board.progress(component), time.time())
        body = json.dumps(answer.body).encode()
        headers = [
            ("Content-Type", "application/json"),
            ("Cache-Control", "no-store"),
            ("Content-Length", str(len(body))),
        ]
        start_response(REASONS[answer.code], headers)
        return [b"" if environ.get("REQUEST_METHOD") == "HEAD" else body]

    return app


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Probes every few seconds would flood the log."""


def start(component: str, port: int, addr: str) -> tuple[WSGIServer, threading.Thread]:
    """Serve /healthz, /readyz and /metrics for `component` on addr:port in a daemon thread (OSError if taken)."""

    class Server(_Server):
        address_family = socket.AF_INET6 if ":" in addr else socket.AF_INET

    server = make_server(addr, port, wsgi_app(component), Server, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, name=f"{component}-metrics", daemon=True)
    thread.start()
    return server, thread
