"""`lifecycle dashboard`: the operators' read-only dashboard on loopback, behind a token."""

from __future__ import annotations

import argparse
import logging
import secrets

from aiohttp import web

from lifecycle import metrics
from lifecycle.admin import require_topics
from lifecycle.dashboard.app import make_app
from lifecycle.settings import Settings
from lifecycle.topics import ALL_TOPICS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `lifecycle dashboard`."""
    parser.add_argument("--interval", type=float, default=3.0, help="seconds between samples (default 3)")


def dashboard_url(settings: Settings, token: str) -> str:
    """The sign-in link; the token sits in the fragment, which browsers never send to the server."""
    return f"http://{settings.web_bind}:{settings.dashboard_port}/login#token={token}"


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("aiohttp.access", "kafka"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    settings = Settings.from_env()
    require_topics(settings, ALL_TOPICS)
    token = settings.dashboard_token or secrets.token_urlsafe(24)
    metrics.serve("dashboard", settings)
    if not settings.dashboard_token:
        print(f"dashboard token (generated): {token}", flush=True)
    print(f"dashboard: {dashboard_url(settings, token)}", flush=True)
    web.run_app(
        make_app(settings, token, args.interval),
        host=settings.web_bind,
        port=settings.dashboard_port,
        print=None,
        handle_signals=True,
    )
    return 0
