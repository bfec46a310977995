"""`lifecycle stack up|status|down`: the local Kafka broker and PostgreSQL, started and stopped by pid file."""

from __future__ import annotations

import argparse
import shlex

from lifecycle.db_logins import WRITERS
from lifecycle.settings import Settings
from lifecycle.stack.credentials import local_dsns, passfile_path, process_dsn
from lifecycle.stack.files import check_home
from lifecycle.stack.kafka import kafka_status, start_kafka, stop_kafka
from lifecycle.stack.postgres import postgres_status, start_postgres, stop_postgres


def say(line: str) -> None:
    """Print one progress line at once."""
    print(line, flush=True)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `lifecycle stack`."""
    parser.add_argument("action", choices=("up", "status", "down"), help="start, show or stop the local stack")


def up(settings: Settings) -> int:
    """Start what is not running yet and print the settings that reach it (DSNs without passwords)."""
    start_postgres(settings, say)
    start_kafka(settings, say)
    say(f"export LIFECYCLE_KAFKA_BOOTSTRAP=127.0.0.1:{settings.kafka_port}")
    if not settings.database_url:
        say(f"postgresql: passwords in {passfile_path(settings)} (mode 0600); the DSNs name that file")
        for name, dsn in local_dsns(settings).items():
            say(f"export {name}={shlex.quote(dsn)}")
        for process in WRITERS:  # each its own role, found with LIFECYCLE_DATABASE_URL empty
            say(f"postgresql: {process} logs in with {process_dsn(settings, process)}")
    return 0


def status(settings: Settings) -> int:
    """Print what runs; exit 1 when a part is down."""
    states = [kafka_status(settings), postgres_status(settings)]
    for _running, line in states:
        say(line)
    return 0 if all(running for running, _line in states) else 1


def down(settings: Settings) -> int:
    """Stop only what this stack started."""
    stop_kafka(settings, say)
    stop_postgres(settings, say)
    return 0


def run(args: argparse.Namespace) -> int:
    """Run the chosen action."""
    action = {"up": up, "status": status, "down": down}[args.action]
    settings = Settings.from_env()
    check_home(settings.home)  # its pid files, data and logs are read and written there
    return action(settings)
