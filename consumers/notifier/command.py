"""`lifecycle notifier`: render notices and deliver them over SMTP, or to the outbox when no SMTP host is set."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from consumers.kafka_loop import Backoff
from consumers.notifier.render import TEMPLATES_DIR
from consumers.signals import stop_on_signals
from lifecycle import metrics
from lifecycle.admin import require_topics
from lifecycle.arguments import seconds
from lifecycle.coordinator import wait_for_group_coordinator
from lifecycle.errors import UserError
from lifecycle.groups import NOTIFIER
from lifecycle.settings import Settings
from lifecycle.topics import DEADLETTER


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `lifecycle notifier`."""
    parser.add_argument("--templates", type=Path, default=TEMPLATES_DIR, help="Folder holding notices/*.j2.")
    parser.add_argument(
        "--max-backoff",
        type=seconds,
        default=30.0,
        help="Longest wait in seconds between retries of a temporary failure.",
    )


def run(args: argparse.Namespace) -> int:
    """Run the notifier until SIGTERM or SIGINT."""
    from kafka.errors import KafkaError

    from consumers.database import process_dsn, process_setting
    from consumers.notifier.app import Notifier
    from consumers.notifier.delivery import SmtpTransport, transport_for
    from consumers.notifier.handler import COMPONENT
    from consumers.notifier.ledger import PostgresLedger

    settings = Settings.from_env()
    if not (args.templates / "notices").is_dir():
        raise UserError(f"no notice templates in {args.templates / 'notices'}: pass --templates FOLDER")
    transport = transport_for(settings, on_wait=lambda: metrics.beat(COMPONENT))  # refuses leaky settings
    ledger = PostgresLedger(process_dsn(settings, COMPONENT))
    try:
        ledger.check(process_setting(settings, COMPONENT))
        if isinstance(transport, SmtpTransport):
            transport.probe()  # a wrong certificate, host name or login stops here, in one line
        require_topics(settings, (*NOTIFIER.reads, DEADLETTER))
        wait_for_group_coordinator(settings, (NOTIFIER,))
        notifier = Notifier(
            settings, transport=transport, templates_dir=args.templates, backoff=Backoff(maximum=args.max_backoff)
        )
    except KafkaError as exc:
        transport.close()
        raise UserError(f"cannot reach Kafka at {','.join(settings.kafka_bootstrap)}: {exc}") from None
    except BaseException:
        transport.close()
        raise
    finally:
        ledger.close()

    stop_on_signals(notifier.stop.set)  # after the current notice
    metrics.serve(COMPONENT, settings)
    if not settings.smtp_host:
        logging.getLogger(__name__).info("no SMTP host: writing .eml files to %s", settings.outbox)
    notifier.run()
    return 0
