"""Helpers of the store's integration tests: plain queries, producing, waiting for the store's commits."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import psycopg2
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from consumers.store.command import group_id
from lifecycle.kafka_config import kafka_python_config
from lifecycle.settings import Settings


def query(dsn: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Run one statement in its own transaction; return its rows."""
    connection = psycopg2.connect(dsn)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall() if cursor.description else []
        connection.commit()
        return rows
    finally:
        connection.close()


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    """Poll `condition` until it holds; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def produce(settings: Settings, suffix: str, messages: list[tuple[bytes | None, bytes | None]]) -> None:
    """Send (key, value) pairs to a topic of this test, in order, and wait for the acknowledgements."""
    producer = KafkaProducer(acks="all", **kafka_python_config(settings))
    try:
        for key, value in messages:
            producer.send(settings.topic(suffix), key=key, value=value)
        producer.flush(timeout=30)
    finally:
        producer.close()


def all_committed(settings: Settings, suffixes: tuple[str, ...] = ("entitlements", "releases")) -> bool:
    """Whether the store's group has committed every partition up to its end."""
    consumer = KafkaConsumer(group_id=group_id(settings), enable_auto_commit=False, **kafka_python_config(settings))
    try:
        partitions = [
            TopicPartition(settings.topic(suffix), p)
            for suffix in suffixes
            for p in consumer.partitions_for_topic(settings.topic(suffix)) or ()
        ]
        ends = consumer.end_offsets(partitions)
        return all((consumer.committed(tp) or 0) >= ends[tp] for tp in partitions)
    finally:
        consumer.close(autocommit=False)
