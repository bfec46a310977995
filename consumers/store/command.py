"""`lifecycle store`: keep PostgreSQL in step with the entitlements, releases and holds topics."""

from __future__ import annotations

import argparse
import logging
import threading
from typing import Any

from kafka import KafkaConsumer, KafkaProducer

from consumers.database import DatabaseUnavailableError, connect, process_dsn, process_setting
from consumers.deadletters import KafkaDeadLetters
from consumers.kafka_loop import Backoff, run_batches
from consumers.privileges import check_privileges
from consumers.signals import stop_on_signals
from consumers.store.postgres import PostgresEntitlements
from consumers.store.sink import COMPONENT, TRANSIENT_ERRORS, EntitlementStore
from lifecycle import metrics, topics
from lifecycle.admin import require_topics
from lifecycle.arguments import whole_number
from lifecycle.coordinator import wait_for_group_coordinator
from lifecycle.errors import UserError
from lifecycle.groups import STORE
from lifecycle.kafka_config import kafka_python_config
from lifecycle.settings import Settings
from lifecycle.settings_types import MAX_BATCH

log = logging.getLogger(__name__)

TABLES = ("entitlements", "releases", "held_events")


def group_id(settings: Settings) -> str:
    """The store's consumer group, under the deployment's prefix."""
    return STORE.name(settings.topic_prefix)


def check_schema(dsn: str, setting: str = "LIFECYCLE_DATABASE_URL") -> None:
    """Fail with a clear line for a wrong DSN, missing tables or rights; an unreachable database is retried later."""
    try:
        connection = connect(dsn, "lifecycle-store", setting)
    except DatabaseUnavailableError as exc:
        log.warning("%s; the store retries", exc)
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT bool_and(to_regclass(name) IS NOT NULL) FROM unnest(%s) AS name", (list(TABLES),))
            row = cursor.fetchone()
        if not (row and row[0]):
            raise UserError("the entitlement tables do not exist: run `lifecycle db migrate` first")
        check_privileges(connection, COMPONENT)
    finally:
        connection.close()


def run_store(
    settings: Settings,
    stop: threading.Event,
    batch_size: int | None = None,
    consumer_config: dict[str, Any] | None = None,
    group: str | None = None,
) -> None:
    """Consume until `stop` is set: every snapshot becomes a row, every unreadable message a dead letter.

    `consumer_config` overrides KafkaConsumer options (tests shorten max_poll_interval_ms with it);
    `group` replaces the consumer group (benchmarks re-read the topic with a fresh one).
    """
    dsn = process_dsn(settings, COMPONENT)
    check_schema(dsn, process_setting(settings, COMPONENT))
    batch_size = batch_size or settings.store_batch_size
    kafka = kafka_python_config(settings)
    consumer = KafkaConsumer(
        *(spec.name(settings.topic_prefix) for spec in STORE.reads),
        group_id=group or group_id(settings),
        client_id=group_id(settings),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=batch_size,
        **{**kafka, **(consumer_config or {})},
    )
    producer = KafkaProducer(
        acks="all", enable_idempotence=True, linger_ms=5, max_block_ms=10_000, client_id=group_id(settings), **kafka
    )
    dead_letters = KafkaDeadLetters(
        producer, settings.topic(topics.DEADLETTER.suffix), COMPONENT, settings.deadletter_preview_bytes
    )
    store = EntitlementStore(
        PostgresEntitlements(dsn),
        dead_letters,
        entitlements_topic=settings.topic(topics.ENTITLEMENTS.suffix),
        releases_topic=settings.topic(topics.RELEASES.suffix),
        holds_topic=settings.topic(topics.HOLDS.suffix),
        # The count the processor places its records by (the topic's spec), not the broker's: the same fact.
        holds_partitions=topics.HOLDS.partitions,
    )
    try:
        run_batches(
            consumer,
            store,
            stop=stop,
            transient=TRANSIENT_ERRORS,
            backoff=Backoff(maximum=settings.retry_max_seconds),
            max_records=batch_size,
            on_poll=lambda: metrics.beat(COMPONENT),
            drop_revoked=True,  # a holds record has no revision: applied late, it could replace a newer one
        )
    finally:
        consumer.close(autocommit=False)
        producer.close(timeout=10)
        store.close()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `lifecycle store`."""
    parser.add_argument(
        "--batch-size", type=whole_number(MAX_BATCH), default=None, help="messages per transaction (default: setting)"
    )


def run(args: argparse.Namespace) -> int:
    """Run the store until SIGTERM or Ctrl-C."""
    settings = Settings.from_env()
    require_topics(settings, (*STORE.reads, topics.DEADLETTER))
    wait_for_group_coordinator(settings, (STORE,))
    stop = threading.Event()
    stop_on_signals(stop.set)
    metrics.serve(COMPONENT, settings)
    log.info("store: %s -> PostgreSQL (group %s)", settings.topic(topics.ENTITLEMENTS.suffix), group_id(settings))
    run_store(settings, stop, args.batch_size)
    return 0
