"""Fixtures of the notifier's integration tests: a migrated database, an SMTP sink, a running notifier."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import orjson
import psycopg2
import pytest
from kafka import KafkaProducer
from notifier_helpers import DUE_AT
from smtp_sink import SmtpSink, running_smtp_sink

from consumers.db import migrate
from consumers.kafka_loop import Backoff
from consumers.notifier.app import Notifier
from lifecycle.kafka_config import kafka_python_config
from lifecycle.settings import Settings


@pytest.fixture
def smtp() -> Iterator[tuple[SmtpSink, int]]:
    with running_smtp_sink() as running:
        yield running


@pytest.fixture
def migrated(topics: Settings) -> Settings:
    """The test's settings, with its topics created and its database migrated."""
    migrate(topics)
    return topics


@pytest.fixture
def smtp_settings(migrated: Settings, smtp: tuple[SmtpSink, int]) -> Settings:
    # Deferrals given up after their tries alone (the minutes are unit-tested).
    return migrated.replace(smtp_host="127.0.0.1", smtp_port=smtp[1], notice_defer_minutes=0)


@pytest.fixture
def start_notifier() -> Iterator[Callable[..., Notifier]]:
    """Start notifiers in threads (fast backoff; clock DUE_AT unless given; Notifier options); stopped at teardown."""
    started: list[tuple[Notifier, threading.Thread]] = []

    def start(settings: Settings, now: Callable[[], datetime] = lambda: DUE_AT, **options: Any) -> Notifier:
        notifier = Notifier(settings, backoff=Backoff(initial=0.05, maximum=0.2), now=now, **options)
        thread = threading.Thread(target=notifier.run, name="notifier", daemon=True)
        thread.start()
        started.append((notifier, thread))
        return notifier

    yield start
    for notifier, thread in started:
        notifier.stop.set()
        thread.join(timeout=30)
        assert not thread.is_alive(), "the notifier did not stop"


@pytest.fixture
def smtp_notifier(smtp_settings: Settings, start_notifier: Callable[..., Notifier]) -> Settings:
    """A notifier delivering to the SMTP sink is running; its settings."""
    start_notifier(smtp_settings)
    return smtp_settings


@pytest.fixture
def produce_notice(topics: Settings) -> Iterator[Callable[[dict[str, Any]], None]]:
    """Publish a notice to the test's notices topic with a real client, keyed by serial, and wait for the ack."""
    producer = KafkaProducer(acks="all", **kafka_python_config(topics))

    def produce(notice: dict[str, Any]) -> None:
        producer.send(topics.topic("notices"), key=notice["serial"].encode(), value=orjson.dumps(notice)).get(30)

    yield produce
    producer.close()


@pytest.fixture
def ledger_rows(migrated: Settings) -> Callable[[], dict[str, dict[str, Any]]]:
    """Read the delivery ledger, by notice_id."""

    def read() -> dict[str, dict[str, Any]]:
        connection = psycopg2.connect(migrated.database_url.get_secret_value())
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT notice_id, status, attempts, transport, message_id, last_error FROM delivery_ledger"
                )
                names = [column.name for column in cursor.description or ()]
                return {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}
        finally:
            connection.close()

    return read
