"""Benchmark: notices/s the notifier delivers to a local SMTP server, against bare SMTP sends on the same server.

    .venv/bin/python tests/bench/bench_notifier.py [--notices 2000]

Needs the real broker and PostgreSQL (LIFECYCLE_KAFKA_BOOTSTRAP, LIFECYCLE_TEST_PG_ADMIN_URL); uses its own
topic prefix and database and removes them afterwards. Prints one JSON document with the figures.
"""

from __future__ import annotations

import argparse
import json
import secrets
import smtplib
import socket
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import psycopg2
from aiosmtpd.controller import Controller
from kafka import KafkaProducer

sys.path.insert(0, str(Path(__file__).parent.parent))
from examples import example
from pg_admin import ADMIN_URL, with_database

from consumers.db import migrate
from consumers.kafka_loop import Backoff
from consumers.notifier.app import Notifier
from consumers.notifier.message import build_message
from consumers.notifier.render import NoticeRenderer
from lifecycle.admin import delete_topics, ensure_topics
from lifecycle.kafka_config import kafka_python_config
from lifecycle.settings import Settings

KINDS = ("support_started", "expiry_reminder", "support_expired", "renewal_confirmed")
# The notifier's clock: the day the sample notices are due, so none is skipped as stale.
DUE_AT = datetime(2027, 2, 13, 9, 0, tzinfo=UTC)


class CountingSink:
    """aiosmtpd handler that counts accepted messages and notes when each arrived."""

    def __init__(self) -> None:
        self.arrivals: list[float] = []
        self.changed = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.changed:
            self.arrivals.append(time.perf_counter())
            self.changed.notify_all()
        return "250 OK"

    def wait_for(self, count: int, timeout: float) -> None:
        with self.changed:
            if not self.changed.wait_for(lambda: len(self.arrivals) >= count, timeout=timeout):
                raise SystemExit(f"only {len(self.arrivals)} of {count} emails arrived within {timeout}s")


def sample_notice(number: int) -> dict[str, Any]:
    """The contract's example notice as sample `number`: one of KINDS, due on DUE_AT, to its own recipient."""
    kind = KINDS[number % len(KINDS)]
    serial = f"SN-{number:07d}"
    notice = example("notice")
    notice.update(notice_id=f"{kind}:{serial}:2027-03-15", kind=kind, serial=serial, account_id=f"ACC-{number % 97}")
    notice.update(due_on="2027-02-13", lead_days=30)
    notice["data"].update(
        starts_on="2026-03-15",
        expires_on="2027-03-15",
        lead_days=30,
        new_expires_on="2028-03-15",
        renewal_order_id=f"RO-{number}",
        recipient={"email": f"customer{number}@example.com", "name": f"Customer {number}"},
    )
    return notice


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def render_rates(notices: list[dict[str, Any]], mail_from: str) -> dict[str, float]:
    """Notices rendered per second, and rendered, built into emails and serialized per second (CPU only)."""
    renderer = NoticeRenderer()
    started = time.perf_counter()
    for notice in notices:
        renderer.render(notice)
    rendered = time.perf_counter()
    for notice in notices:
        build_message(notice, renderer.render(notice), mail_from).as_bytes()
    built = time.perf_counter()
    return {
        "render_per_s": len(notices) / (rendered - started),
        "render_and_build_email_per_s": len(notices) / (built - rendered),
    }


def bare_smtp_rate(notices: list[dict[str, Any]], settings: Settings, sink: CountingSink) -> float:
    """Pre-built emails sent over one SMTP connection per second: the server's and smtplib's own ceiling."""
    renderer = NoticeRenderer()
    messages = [build_message(n, renderer.render(n), settings.mail_from) for n in notices]
    before = len(sink.arrivals)
    started = time.perf_counter()
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port) as client:
        for message in messages:
            client.send_message(message)
    sink.wait_for(before + len(messages), timeout=120)
    return len(messages) / (time.perf_counter() - started)


def notifier_rate(notices: list[dict[str, Any]], settings: Settings, sink: CountingSink) -> dict[str, float]:
    """Produce the notices, start a notifier, and time their delivery."""
    producer = KafkaProducer(acks="all", linger_ms=5, **kafka_python_config(settings))
    for notice in notices:
        producer.send(settings.topic("notices"), key=notice["serial"].encode(), value=orjson.dumps(notice))
    producer.flush(60)
    producer.close()
    before = len(sink.arrivals)
    notifier = Notifier(settings, backoff=Backoff(initial=0.05, maximum=0.5), now=lambda: DUE_AT)
    thread = threading.Thread(target=notifier.run, daemon=True)
    started = time.perf_counter()
    thread.start()
    try:
        sink.wait_for(before + len(notices), timeout=600)
    finally:
        notifier.stop.set()
        thread.join(60)
    arrivals = sink.arrivals[before:]
    return {
        "notifier_emails_per_s_steady": (len(arrivals) - 1) / (arrivals[-1] - arrivals[0]),
        "notifier_emails_per_s_including_startup": len(arrivals) / (arrivals[-1] - started),
        "notifier_startup_s": arrivals[0] - started,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notices", type=int, default=2000)
    args = parser.parse_args(argv)
    admin_url = ADMIN_URL
    prefix = f"bench{secrets.token_hex(4)}"
    database = f"lc_{prefix}"
    sink = CountingSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    admin = psycopg2.connect(admin_url)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{database}"')
    settings = Settings.from_env().replace(
        topic_prefix=prefix,
        database_url=with_database(admin_url, database),
        database_admin_url="",
        smtp_host="127.0.0.1",
        smtp_port=port,
        metrics_port=0,
    )
    controller.start()
    try:
        migrate(settings)
        ensure_topics(settings)
        notices = [sample_notice(n) for n in range(args.notices)]
        figures: dict[str, Any] = {"notices": args.notices, **render_rates(notices, settings.mail_from)}
        figures["bare_smtp_emails_per_s"] = bare_smtp_rate(notices, settings, sink)
        figures.update(notifier_rate(notices, settings, sink))
        figures["notifier_to_bare_smtp_ratio"] = (
            figures["notifier_emails_per_s_steady"] / figures["bare_smtp_emails_per_s"]
        )
        print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()}, indent=2))
    finally:
        controller.stop()
        delete_topics(settings)
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
