"""`lifecycle up`: the whole pipeline on the local stack, with sample traffic, a live trickle and the dashboard.

Starts the local stack (installing what is missing), creates the topics, migrates the database, waits for the
broker's group coordinator, starts worker, store, scheduler, notifier and dashboard as child processes (logs in
LIFECYCLE_HOME/logs), emits the sample stream, then sends a few fresh purchases a second until Ctrl-C, which
stops every child it started and the parts of the stack it started.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from types import FrameType

from lifecycle.dashboard.command import announce
from lifecycle.errors import UserError
from lifecycle.settings import Settings
from lifecycle.settings_files import secret_of_file_setting
from lifecycle.up_children import Children, own_secrets_only

PROCESSES = ("worker", "store", "scheduler", "notifier", "dashboard")
READY_TIMEOUT_S = 120.0


def say(line: str) -> None:
    """One progress line, at once."""
    print(f"[up {time.strftime('%H:%M:%S')}] {line}", flush=True)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `lifecycle up`."""
    parser.add_argument(
        "--rate", type=float, default=2.0, help="fresh purchases per second after the samples (0: none)"
    )
    parser.add_argument("--no-samples", action="store_true", help="do not emit the sample event stream")
    parser.add_argument(
        "--external",
        action="store_true",
        help="start no local stack: use LIFECYCLE_KAFKA_BOOTSTRAP and the DATABASE_*_URL settings",
    )


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


TOKEN = "LIFECYCLE_DASHBOARD_TOKEN"


def child_environment(settings: Settings, external: bool, token: str) -> dict[str, str]:
    """The environment the children start from: the stack's broker, the home and the dashboard token.

    It holds every secret of this process; each child keeps only its own (`up_children.CHILD_SECRETS`).
    """
    env = {**os.environ, "LIFECYCLE_HOME": str(settings.home)}
    if not any(secret_of_file_setting(name, {TOKEN}) for name in os.environ):  # else the dashboard reads its file
        env[TOKEN] = token
    if not external:
        env["LIFECYCLE_KAFKA_BOOTSTRAP"] = f"127.0.0.1:{settings.kafka_port}"
    return env


def database_environments(settings: Settings, external: bool) -> Callable[[str], dict[str, str]]:
    """Per process, the DSN settings it gets: on the local stack the least-privileged role; else as configured."""
    from lifecycle.stack.credentials import process_environment

    if external or settings.database_url:
        return lambda _process: {}
    return lambda process: process_environment(settings, process)


def run_step(env: Mapping[str, str], logs: Path, name: str, *args: str) -> None:
    """Run one `lifecycle` subcommand to completion with only step `name`'s secrets; output to logs/<name>.log."""
    command = [sys.executable, "-m", "lifecycle.cli", *args]
    with (logs / f"{name}.log").open("ab") as log:
        child_env = own_secrets_only(env, name)
        done = subprocess.run(command, env=child_env, stdout=log, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        raise UserError(f"`lifecycle {' '.join(args)}` failed (exit {done.returncode}); see {logs / name}.log")


def wait_for_coordinator(settings: Settings) -> None:
    """Wait until the broker's group coordinator answers for every group, so that the children join quietly."""
    from lifecycle.coordinator import wait_for_group_coordinator
    from lifecycle.groups import ALL_GROUPS

    started = time.monotonic()
    if wait_for_group_coordinator(settings, ALL_GROUPS):
        say(f"group coordinator ready after {time.monotonic() - started:.1f}s")


def wait_for_dashboard(settings: Settings, children: Children) -> float:
    """Poll the dashboard's /healthz until it answers; return the seconds waited."""
    started = time.monotonic()
    url = f"http://{settings.web_bind}:{settings.dashboard_port}/healthz"
    while True:
        children.check()
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return time.monotonic() - started
        except OSError:
            pass
        if time.monotonic() - started > READY_TIMEOUT_S:
            raise UserError(f"the dashboard did not answer within {READY_TIMEOUT_S:.0f}s; see its log")
        time.sleep(0.3)


def start_stack(settings: Settings) -> tuple[bool, bool]:
    """Start the local broker and PostgreSQL; return which of the two this call started."""
    from lifecycle.stack.kafka import kafka_status, start_kafka
    from lifecycle.stack.postgres import postgres_status, start_postgres

    postgres_was_up = bool(settings.database_url) or postgres_status(settings)[0]
    start_postgres(settings, say)
    kafka_was_up = kafka_status(settings)[0]
    start_kafka(settings, say)
    return not kafka_was_up, not postgres_was_up


def stop_stack(settings: Settings, kafka: bool, postgres: bool) -> None:
    """Stop the parts of the stack this run started."""
    from lifecycle.stack.kafka import stop_kafka
    from lifecycle.stack.postgres import stop_postgres

    if kafka:
        stop_kafka(settings, say)
    if postgres:
        stop_postgres(settings, say)


def trickle(settings: Settings, rate: float, children: Children) -> None:
    """Send `rate` fresh purchases a second until interrupted, reporting every 30 seconds."""
    from lifecycle.trickle import Trickle

    if rate <= 0:
        while True:
            children.check()
            time.sleep(1.0)
    sender = Trickle(settings)
    try:
        last_report = time.monotonic()
        while True:
            children.check()
            sender.send_one()
            time.sleep(1.0 / rate)
            if time.monotonic() - last_report >= 30:
                say(f"live purchases sent: {sender.sent}")
                last_report = time.monotonic()
    finally:
        sender.close()


def run(args: argparse.Namespace) -> int:
    """Bring everything up, keep traffic flowing, and take everything down on Ctrl-C."""
    from lifecycle.stack.files import check_home

    # Both set explicitly: a shell starts background jobs with SIGINT ignored, and Python keeps that.
    signal.signal(signal.SIGINT, _raise_interrupt)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    base = Settings.from_env()
    check_home(base.home)  # one line, not a traceback at the first folder made there
    token = base.dashboard_token.get_secret_value() or secrets.token_urlsafe(24)
    env = child_environment(base, args.external, token)
    settings = base.replace(kafka_bootstrap=tuple(env["LIFECYCLE_KAFKA_BOOTSTRAP"].split(",")), dashboard_token=token)
    logs = settings.home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    started_kafka = started_postgres = False
    database_env = database_environments(base, args.external)
    children = Children(env, logs, say, database_env)
    try:
        say(f"home {settings.home}, topic prefix {settings.topic_prefix}, logs in {logs}")
        if base.database_url and not base.database_readonly_url:
            say("LIFECYCLE_DATABASE_READONLY_URL is not set: the dashboard gets no DSN and shows no database figures")
        if not args.external:
            started_kafka, started_postgres = start_stack(settings)
        say("creating topics")
        run_step(env, logs, "topics", "topics")
        say("migrating the database")
        run_step({**env, **database_env("db")}, logs, "db", "db", "migrate")
        wait_for_coordinator(settings)
        for name in PROCESSES:
            children.start(name)
        waited = wait_for_dashboard(settings, children)
        say(f"dashboard answers after {waited:.1f}s ({time.monotonic() - began:.1f}s since start)")
        if not args.no_samples:
            samples = settings.home / "samples.jsonl"
            run_step(env, logs, "samples", "samples", "--out", str(samples))
            run_step(env, logs, "emit", "emit", str(samples))
            say(f"sample traffic emitted from {samples}")
        say(f"READY in {time.monotonic() - began:.1f}s")
        say(announce(settings, "" if base.dashboard_token else token))  # a configured token is never printed
        say(f"outbox (notices as .eml): {settings.outbox}")
        say(f"sending {args.rate:g} live purchases a second; Ctrl-C stops everything")
        trickle(settings, args.rate, children)
    except KeyboardInterrupt:
        say("stopping")
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        children.stop_all()
        stop_stack(settings, started_kafka, started_postgres)
        say("stopped")
    return 0
