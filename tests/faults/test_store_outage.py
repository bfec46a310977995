"""A PostgreSQL outage mid-stream: the store holds its batch, stays in the group, and loses nothing.

The test starts its own throwaway PostgreSQL cluster (initdb + pg_ctl as user postgres on a free
port), because stopping the shared one would break everyone else.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg2
import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from store_samples import encoded, snapshot
from topic_reading import read_topic

from consumers.db import migrate
from consumers.store.command import group_id, run_store
from lifecycle.kafka_config import kafka_python_config
from lifecycle.settings import Settings

pytestmark = pytest.mark.faults

PG_BIN = Path("/usr/lib/postgresql/15/bin")
SERIALS = 1500
REVISIONS = 2  # every serial is published at revisions 1 and 2
OUTAGE_SECONDS = 8.0
MAX_POLL_INTERVAL_MS = 6000  # shorter than the outage: only polling while paused keeps the store in the group


class PrivateCluster:
    """A PostgreSQL cluster of this test alone, run as user postgres."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="lc-pg-"))
        self.root.chmod(0o755)
        self.data = self.root / "data"
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        shutil.chown(self.root, "postgres", "postgres")
        self._as_postgres(PG_BIN / "initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "--no-sync")

    def _as_postgres(self, *command: object) -> None:
        args = ["runuser", "-u", "postgres", "--", *map(str, command)]
        subprocess.run(args, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.root} -c fsync=off"
        self._as_postgres(PG_BIN / "pg_ctl", "-D", self.data, "-o", options, "-l", self.root / "log", "-w", "start")

    def stop(self) -> None:
        self._as_postgres(PG_BIN / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def cluster() -> Iterator[PrivateCluster]:
    if os.geteuid() != 0 or not (PG_BIN / "initdb").exists():
        pytest.fail("this fault test needs root (to run PostgreSQL as user postgres) and PostgreSQL 15 binaries")
    private = PrivateCluster()
    try:
        private.start()
        yield private
    finally:
        private.remove()


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def count(dsn: str, table: str) -> int:
    try:
        connection = psycopg2.connect(dsn, connect_timeout=2)
    except psycopg2.OperationalError:
        return -1
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {table}")  # table names are the test's own constants
            row = cursor.fetchone()
            return int(row[0]) if row else 0
    finally:
        connection.close()


def committed_to_end(settings: Settings) -> bool:
    consumer = KafkaConsumer(group_id=group_id(settings), enable_auto_commit=False, **kafka_python_config(settings))
    try:
        topic = settings.topic("entitlements")
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        ends = consumer.end_offsets(partitions)
        return all((consumer.committed(tp) or 0) >= ends[tp] for tp in partitions)
    finally:
        consumer.close(autocommit=False)


@pytest.fixture
def private_settings(topics: Settings, cluster: PrivateCluster) -> Settings:
    """This test's topics, and a migrated database on the private cluster."""
    admin = psycopg2.connect(cluster.dsn())
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("CREATE DATABASE lifecycle")
    admin.close()
    settings = topics.replace(database_url=cluster.dsn("lifecycle"), database_admin_url="")
    migrate(settings)
    return settings


def test_the_store_rides_out_a_postgresql_outage(
    private_settings: Settings, cluster: PrivateCluster, caplog: pytest.LogCaptureFixture
) -> None:
    settings = private_settings
    dsn = settings.database_url.get_secret_value()

    stop = threading.Event()
    failures: list[BaseException] = []

    def consume() -> None:
        try:
            run_store(settings, stop, batch_size=100, consumer_config={"max_poll_interval_ms": MAX_POLL_INTERVAL_MS})
        except BaseException as exc:
            failures.append(exc)

    caplog.set_level(logging.WARNING, logger="consumers")
    store = threading.Thread(target=consume, name="store")
    store.start()
    producer = KafkaProducer(acks="all", linger_ms=5, **kafka_python_config(settings))
    topic = settings.topic("entitlements")

    def publish(serials: range, revision: int) -> None:
        for number in serials:
            serial = f"SN-{number:05d}"
            producer.send(topic, key=serial.encode(), value=encoded(snapshot(serial, revision)))
        producer.flush(timeout=60)

    try:
        half = SERIALS // 2
        publish(range(half), 1)
        wait_for(lambda: count(dsn, "entitlements") > 0, "the first rows")
        cluster.stop()  # mid-stream: the store is still working through the first half
        publish(range(half, SERIALS), 1)
        publish(range(SERIALS), 2)
        time.sleep(OUTAGE_SECONDS)  # the outage itself, longer than max.poll.interval.ms
        cluster.start()
        wait_for(lambda: committed_to_end(settings), "the store to commit every message", timeout=120)
    finally:
        producer.close()
        stop.set()
        store.join(timeout=30)

    assert not failures, failures
    assert count(dsn, "entitlements") == SERIALS
    assert count(dsn, "entitlement_revisions") == SERIALS * REVISIONS
    connection = psycopg2.connect(dsn)
    with connection.cursor() as cursor:
        cursor.execute("SELECT revision, count(*) FROM entitlements GROUP BY revision")
        assert cursor.fetchall() == [(REVISIONS, SERIALS)]
    connection.close()
    assert read_topic(settings, "deadletter") == []
    messages = [record.getMessage() for record in caplog.records]
    assert any("not applied" in message for message in messages), "the outage never reached the store"
    assert not any("commit refused" in message for message in messages), "the store was evicted from its group"
