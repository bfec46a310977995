"""Benchmark: entitlement rows/s the store writes to PostgreSQL, against a bare consume of the same topic.

    .venv/bin/python tests/bench/bench_store.py [--snapshots 200000] [--batch-sizes 500,2000]

Needs the real broker and PostgreSQL (LIFECYCLE_KAFKA_BOOTSTRAP, LIFECYCLE_TEST_PG_ADMIN_URL); uses its own
topic prefix and database and removes them afterwards. Prints one JSON document with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psycopg2
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

sys.path.insert(0, str(Path(__file__).parent.parent))
from pg_admin import ADMIN_URL, with_database
from store_samples import encoded, snapshot

from consumers.db import migrate
from consumers.store.command import run_store
from lifecycle.admin import delete_topics, ensure_topics
from lifecycle.kafka_config import kafka_python_config
from lifecycle.settings import Settings


def produce(settings: Settings, count: int) -> float:
    """Publish `count` snapshots of distinct serials; return the seconds it took."""
    producer = KafkaProducer(acks="all", linger_ms=20, batch_size=256 * 1024, **kafka_python_config(settings))
    topic = settings.topic("entitlements")
    template = snapshot("SN-0000000")
    started = time.perf_counter()
    for number in range(count):
        serial = f"SN-{number:07d}"
        producer.send(topic, key=serial.encode(), value=encoded({**template, "serial": serial}))
    producer.flush(timeout=300)
    producer.close()
    return time.perf_counter() - started


def partitions(consumer: KafkaConsumer, topic: str) -> list[TopicPartition]:
    return [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]


def bare_consume(settings: Settings, count: int, batch_size: int, group: str) -> float:
    """Seconds a consumer takes to poll and commit `count` messages, doing nothing with them."""
    consumer = KafkaConsumer(
        settings.topic("entitlements"),
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=batch_size,
        **kafka_python_config(settings),
    )
    seen = 0
    started = time.perf_counter()
    while seen < count:
        polled = consumer.poll(timeout_ms=500, max_records=batch_size)
        seen += sum(len(records) for records in polled.values())
        if polled:
            consumer.commit()
    elapsed = time.perf_counter() - started
    consumer.close(autocommit=False)
    return elapsed


def committed_to_end(probe: KafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    return all((probe.committed(tp) or 0) >= end for tp, end in ends.items())


def store_run(settings: Settings, batch_size: int, group: str) -> float:
    """Seconds the store takes from start until every snapshot is committed (as rows and offsets)."""
    probe = KafkaConsumer(group_id=group, enable_auto_commit=False, **kafka_python_config(settings))
    ends = probe.end_offsets(partitions(probe, settings.topic("entitlements")))
    stop = threading.Event()
    thread = threading.Thread(
        target=run_store, args=(settings, stop, batch_size), kwargs={"group": group}, name="store"
    )
    started = time.perf_counter()
    thread.start()
    while not committed_to_end(probe, ends):
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    stop.set()
    thread.join(timeout=60)
    probe.close(autocommit=False)
    return elapsed


def reset(dsn: str) -> int:
    """Empty the tables; return how many current rows there were."""
    connection = psycopg2.connect(dsn)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM entitlements")
        row = cursor.fetchone()
        cursor.execute("TRUNCATE entitlements, entitlement_revisions")
    connection.commit()
    connection.close()
    return int(row[0]) if row else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--snapshots", type=int, default=200_000)
    parser.add_argument("--batch-sizes", default="500,2000")
    args = parser.parse_args()
    prefix = f"bench{secrets.token_hex(4)}"
    database = f"lc_{prefix}"
    os.environ["LIFECYCLE_TOPIC_PREFIX"] = prefix
    base = Settings.from_env()
    admin = psycopg2.connect(ADMIN_URL)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{database}"')
    settings = base.replace(database_url=with_database(ADMIN_URL, database))
    figures: dict[str, Any] = {"snapshots": args.snapshots, "runs": []}
    try:
        ensure_topics(settings)
        migrate(settings)
        figures["produce_seconds"] = round(produce(settings, args.snapshots), 2)
        for batch_size in (int(size) for size in args.batch_sizes.split(",")):
            bare = bare_consume(settings, args.snapshots, batch_size, f"{prefix}.bare.{batch_size}")
            seconds = store_run(settings, batch_size, f"{prefix}.store.{batch_size}")
            rows = reset(settings.database_url.get_secret_value())
            figures["runs"].append(
                {
                    "batch_size": batch_size,
                    "store_seconds": round(seconds, 2),
                    "store_rows_per_s": round(rows / seconds),
                    "bare_consume_per_s": round(args.snapshots / bare),
                    "store_over_bare": round((rows / seconds) / (args.snapshots / bare), 3),
                    "rows": rows,
                }
            )
    finally:
        delete_topics(settings)
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.close()
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
