"""One sweep at a time on the real PostgreSQL: a scheduler that finds another sweeping skips its run, at once."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any, cast

import orjson
import psycopg2
import pytest
from kafka import KafkaProducer
from scheduler_helpers import FIRST_SWEEP
from topic_reading import read_topic

from consumers.scheduler.command import COMPONENT, sweep_once
from consumers.scheduler.lock import sweep_lock
from consumers.scheduler.sweep import SweepReport
from lifecycle.kafka_config import kafka_python_config
from lifecycle.settings import Settings

pytestmark = pytest.mark.integration

AS_OF = datetime(2027, 3, 8, 12, tzinfo=UTC)


class HeldAtFlush:
    """A producer that stops at its first flush, once its ticks are sent and before they are noted, until released."""

    def __init__(self, producer: KafkaProducer) -> None:
        self.producer = producer
        self.publishing = threading.Event()
        self.release = threading.Event()

    def send(self, topic: str, key: bytes, value: bytes) -> Any:
        return self.producer.send(topic, key=key, value=value)

    def flush(self, timeout: float) -> None:
        self.publishing.set()
        assert self.release.wait(60), "never released"
        self.producer.flush(timeout=timeout)


def test_two_sweeps_at_once_one_sweeps_the_other_skips_and_each_tick_goes_out_once(
    scheduler_env: tuple[Settings, dict[str, str]], caplog: pytest.LogCaptureFixture
) -> None:
    settings, _ = scheduler_env  # both log in as the scheduler's role: it may take the advisory lock
    producer = KafkaProducer(acks="all", **kafka_python_config(settings))
    held = HeldAtFlush(producer)
    first: list[SweepReport | BaseException | None] = []

    def sweep_held() -> None:
        try:
            first.append(sweep_once(settings, cast(KafkaProducer, held), AS_OF))
        except BaseException as exc:
            first.append(exc)

    thread = threading.Thread(target=sweep_held, name="first-sweep")
    thread.start()
    try:
        assert held.publishing.wait(60), "the first sweep never reached its publishing"
        started = time.monotonic()
        with caplog.at_level(logging.INFO, logger="consumers.scheduler"):
            second = sweep_once(settings, producer, AS_OF)  # while the first holds its ticks, unnoted
        waited = time.monotonic() - started
    finally:
        held.release.set()
        thread.join(timeout=60)
        producer.close(timeout=10)

    assert second is None, "the second sweep ran alongside the first"
    assert waited < 10, "the second sweep waited for the first instead of skipping"
    skips = [r for r in caplog.records if r.name == f"consumers.{COMPONENT}.command" and "skipped" in r.message]
    assert [r.levelno for r in skips] == [logging.INFO]
    assert "(lifecycle-scheduler, " in skips[0].message  # the holding session, as the scheduler's role sees it
    [report] = first
    assert isinstance(report, SweepReport), report
    assert [tick["event_id"] for tick in report.ticks] == FIRST_SWEEP
    counts = Counter(orjson.loads(value or b"")["event_id"] for _, value in read_topic(settings, "ticks"))
    assert counts == dict.fromkeys(FIRST_SWEEP, 1)


def fail_while_locked(connection: psycopg2.extensions.connection) -> None:
    """A sweep that takes the lock and fails, leaving an aborted transaction behind."""
    with sweep_lock(connection) as taken, connection.cursor() as cursor:
        assert taken
        cursor.execute("SELECT 1 / 0")


def taken_within(connection: psycopg2.extensions.connection, seconds: float) -> bool:
    """Whether the sweep lock could be taken (and let go) within `seconds`: a closed session ends a moment later."""
    deadline = time.monotonic() + seconds
    while True:
        with sweep_lock(connection) as taken:
            if taken or time.monotonic() > deadline:
                return taken
        time.sleep(0.1)


def test_a_sweep_session_keeps_its_short_keepalives_after_taking_the_lock(
    scheduler_env: tuple[Settings, dict[str, str]],
) -> None:
    settings, _ = scheduler_env
    connection = psycopg2.connect(settings.database_url.get_secret_value())  # over TCP, as the scheduler's is
    try:
        with sweep_lock(connection) as taken, connection.cursor() as cursor:
            assert taken
            cursor.execute("SELECT current_setting('tcp_keepalives_idle'), current_setting('tcp_keepalives_count')")
            assert cursor.fetchone() == ("30", "3")  # not the server's two hours: the rollback kept them
    finally:
        connection.close()


def test_the_lock_is_free_again_after_a_sweep_a_failed_sweep_and_a_lost_connection(
    scheduler_env: tuple[Settings, dict[str, str]],
) -> None:
    settings, _ = scheduler_env
    dsn = settings.database_url.get_secret_value()
    one, two = psycopg2.connect(dsn), psycopg2.connect(dsn)
    try:
        with sweep_lock(one) as taken, sweep_lock(two) as also:
            assert (taken, also) == (True, False)
        with pytest.raises(psycopg2.errors.DivisionByZero):
            fail_while_locked(one)
        with sweep_lock(two) as taken:
            assert taken, "a failed sweep kept the lock"
        with sweep_lock(one) as taken:
            assert taken
            one.close()  # the session ends mid-sweep
        assert taken_within(two, 10), "a lost session kept the lock"
    finally:
        one.close()
        two.close()
