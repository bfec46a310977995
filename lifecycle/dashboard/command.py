"""`lifecycle dashboard`: the operators' read-only dashboard on loopback, behind a token."""

from __future__ import annotations

import argparse
import secrets

from aiohttp import web

from lifecycle import metrics
from lifecycle.admin import require_topics
from lifecycle.arguments import seconds
from lifecycle.dashboard.app import make_app
from lifecycle.settings import Settings
from lifecycle.topics import ALL_TOPICS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `lifecycle dashboard`."""
    parser.add_argument("--interval", type=seconds, default=3.0, help="seconds between samples (default 3)")


def dashboard_url(settings: Settings, token: str = "") -> str:
    """The sign-in link; a token sits in the fragment, which browsers never send to the server."""
    url = f"http://{settings.web_bind}:{settings.dashboard_port}/login"
    return f"{url}#token={token}" if token else url


def announce(settings: Settings, generated: str) -> str:
    """The start line: a generated token is shown this once; a configured one never."""
    if generated:
        return f"dashboard (token generated for this run): {dashboard_url(settings, generated)}"
    return f"dashboard: {dashboard_url(settings)} (sign in with LIFECYCLE_DASHBOARD_TOKEN)"


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted."""
    settings = Settings.from_env()
    configured = settings.dashboard_token.get_secret_value()  # its length was checked with the settings
    require_topics(settings, ALL_TOPICS)
    generated = "" if configured else secrets.token_urlsafe(24)
    token = configured or generated
    metrics.serve("dashboard", settings)
    print(announce(settings, generated), flush=True)
    web.run_app(
        make_app(settings, token, args.interval),
        host=settings.web_bind,
        port=settings.dashboard_port,
        print=None,
        handle_signals=True,
    )
    return 0
