"""The `lifecycle` command: one subcommand per process of the pipeline."""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import NoReturn, Protocol

from lifecycle.errors import UserError
from lifecycle.interrupts import Interrupted
from lifecycle.output import OutputError, guarded_stdout, output_failed
from lifecycle.redact import configure_logging, redact


class Command(Protocol):
    """A subcommand's module: its options, and what it runs (an exit code)."""

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


# Each subcommand's module is imported inside its loader, when that subcommand runs, so `lifecycle --help` stays fast.
def _up() -> Command:
    from lifecycle import up

    return up


def _stack() -> Command:
    from lifecycle.stack import command

    return command


def _topics() -> Command:
    from lifecycle import admin

    return admin


def _emit() -> Command:
    from lifecycle import emit

    return emit


def _replay() -> Command:
    from lifecycle import replay

    return replay


def _worker() -> Command:
    from streams import command

    return command


def _store() -> Command:
    from consumers.store import command

    return command


def _notifier() -> Command:
    from consumers.notifier import command

    return command


def _scheduler() -> Command:
    from consumers.scheduler import command

    return command


def _redrive() -> Command:
    from lifecycle import redrive

    return redrive


def _db() -> Command:
    from consumers import db

    return db


def _dashboard() -> Command:
    from lifecycle.dashboard import command

    return command


def _bench() -> Command:
    from streams import bench_command

    return bench_command


def _samples() -> Command:
    from lifecycle.samples import command

    return command


# Subcommand -> (loader of its module, one-line help).
SUBCOMMANDS: dict[str, tuple[Callable[[], Command], str]] = {
    "up": (_up, "Run the whole pipeline on the local stack, with sample traffic and the dashboard."),
    "stack": (_stack, "Start, check or stop the local Kafka broker and PostgreSQL."),
    "topics": (_topics, "Create the pipeline's topics, or check that they match the definition."),
    "emit": (_emit, "Publish JSON-lines events, validated, to their topics."),
    "replay": (_replay, "Run the entitlement rules offline over a JSON-lines file of events."),
    "worker": (_worker, "Run the stream processor (Faust worker), the single writer of entitlements."),
    "store": (_store, "Keep the PostgreSQL entitlement store in step with the entitlements topic."),
    "notifier": (_notifier, "Render notices with Jinja2 and deliver them over SMTP or to the outbox."),
    "scheduler": (_scheduler, "Emit tick events for reminders, expiries and version checks."),
    "redrive": (_redrive, "Send dead-lettered inputs back to their topics once the cause is fixed."),
    "db": (_db, "Apply the PostgreSQL schema migrations and create the roles."),
    "dashboard": (_dashboard, "Serve the operators' dashboard and metrics."),
    "bench": (_bench, "Run a benchmark and print its figures."),
    "samples": (_samples, "Write the sample event stream, or a large synthetic one."),
}


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (what is wrong, where the help is) instead of usage text."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def build_parser(selected: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; only the selected subcommand's module is imported to add its options."""
    parser = OneLineParser(prog="lifecycle", description=__doc__)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (load, help_text) in SUBCOMMANDS.items():
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(load=load)
        if name == selected:
            load().add_arguments(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    selected = next((arg for arg in argv if not arg.startswith("-")), None)
    args = build_parser(selected if selected in SUBCOMMANDS else None).parse_args(argv)
    configure_logging()  # once, for every command: each log line goes through redact()
    with guarded_stdout():
        try:
            code = _run(args)
            sys.stdout.flush()  # what is still buffered fails here, in one line, and not unseen at exit
        except OutputError as exc:  # a closed pipe, a full disk, a closed descriptor: not a bug of the command
            code = output_failed(args.command, exc)
    return code


def _run(args: argparse.Namespace) -> int:
    """Run the command; what stops it is one line on standard error (a bug: its traceback), and the exit status."""
    try:
        code: int = args.load().run(args)
    except UserError as exc:
        print(redact(f"lifecycle {args.command}: {exc}"), file=sys.stderr)
        return 2
    except Interrupted as exc:  # a command that stops cleanly on a signal says what it did and how to go on
        print(redact(f"lifecycle {args.command}: {exc}"), file=sys.stderr)
        return exc.status
    except KeyboardInterrupt:
        return 130
    except OutputError:
        raise
    except Exception:  # a bug: show where, but never a secret a message may carry (libpq echoes whole DSNs)
        print(redact(traceback.format_exc()), file=sys.stderr, end="")
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
