"""The `lifecycle` command: one subcommand per process of the pipeline."""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Sequence
from typing import NoReturn

from lifecycle.errors import UserError
from lifecycle.redact import configure_logging, redact

# Subcommand -> (module, one-line help). Each module has `add_arguments(parser)` and `run(args) -> int`,
# imported only when its subcommand runs, so `lifecycle --help` stays fast.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "up": ("lifecycle.up", "Run the whole pipeline on the local stack, with sample traffic and the dashboard."),
    "stack": ("lifecycle.stack.command", "Start, check or stop the local Kafka broker and PostgreSQL."),
    "topics": ("lifecycle.admin", "Create the pipeline's topics, or check that they match the definition."),
    "emit": ("lifecycle.emit", "Publish JSON-lines events, validated, to their topics."),
    "replay": ("lifecycle.replay", "Run the entitlement rules offline over a JSON-lines file of events."),
    "worker": ("streams.command", "Run the stream processor (Faust worker), the single writer of entitlements."),
    "store": ("consumers.store.command", "Keep the PostgreSQL entitlement store in step with the entitlements topic."),
    "notifier": (
        "consumers.notifier.command",
        "Render notices with Jinja2 and deliver them over SMTP or to the outbox.",
    ),
    "scheduler": ("consumers.scheduler.command", "Emit tick events for reminders, expiries and version checks."),
    "redrive": ("lifecycle.redrive", "Send dead-lettered inputs back to their topics once the cause is fixed."),
    "db": ("consumers.db", "Apply the PostgreSQL schema migrations and create the roles."),
    "dashboard": ("lifecycle.dashboard.command", "Serve the operators' dashboard and metrics."),
    "bench": ("streams.bench_command", "Run a benchmark and print its figures."),
    "samples": ("lifecycle.samples.command", "Write the sample event stream, or a large synthetic one."),
}


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (what is wrong, where the help is) instead of usage text."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def build_parser(selected: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; only the selected subcommand's module is imported to add its options."""
    parser = OneLineParser(prog="lifecycle", description=__doc__)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(module=module_name)
        if name == selected:
            importlib.import_module(module_name).add_arguments(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    selected = next((arg for arg in argv if not arg.startswith("-")), None)
    args = build_parser(selected if selected in SUBCOMMANDS else None).parse_args(argv)
    configure_logging()  # once, for every command: each log line goes through redact()
    try:
        code: int = importlib.import_module(args.module).run(args)
    except UserError as exc:
        print(redact(f"lifecycle {args.command}: {exc}"), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception:  # a bug: show where, but never a secret a message may carry (libpq echoes whole DSNs)
        print(redact(traceback.format_exc()), file=sys.stderr, end="")
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
