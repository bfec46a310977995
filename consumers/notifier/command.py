"""`lifecycle notifier`: render notices and deliver them over SMTP, or to the outbox when no SMTP host is set."""

from __future__ import annotations

import argparse
import logging
import signal
from pathlib import Path
from types import FrameType

from consumers.kafka_loop import Backoff
from consumers.notifier.render import TEMPLATES_DIR
from lifecycle import metrics
from lifecycle.errors import UserError
from lifecycle.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `lifecycle notifier`."""
    parser.add_argument("--templates", type=Path, default=TEMPLATES_DIR, help="Folder holding notices/*.j2.")
    parser.add_argument(
        "--max-backoff",
        type=float,
        default=30.0,
        help="Longest wait in seconds between retries of a temporary failure.",
    )


def run(args: argparse.Namespace) -> int:
    """Run the notifier until SIGTERM or SIGINT."""
    from kafka.errors import KafkaError

    from consumers.db import app_dsn
    from consumers.notifier.app import Notifier
    from consumers.notifier.ledger import PostgresLedger

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env()
    if not (args.templates / "notices").is_dir():
        raise UserError(f"no notice templates in {args.templates / 'notices'}: pass --templates FOLDER")
    ledger = PostgresLedger(app_dsn(settings))
    ledger.check()
    ledger.close()
    try:
        notifier = Notifier(settings, templates_dir=args.templates, backoff=Backoff(maximum=args.max_backoff))
    except KafkaError as exc:
        raise UserError(f"cannot reach Kafka at {','.join(settings.kafka_bootstrap)}: {exc}") from None

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        logging.getLogger(__name__).info("signal %d: stopping after the current notice", signum)
        notifier.stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    metrics.serve("notifier", settings)
    if settings.smtp_host:
        logging.getLogger(__name__).info("SMTP %s:%d", settings.smtp_host, settings.smtp_port)
    else:
        logging.getLogger(__name__).info("no SMTP host: writing .eml files to %s", settings.outbox)
    notifier.run()
    return 0
