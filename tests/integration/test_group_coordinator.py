"""Joining a group on the real broker: the coordinator answers at once, and a member joins knowing its partitions."""

from __future__ import annotations

import logging
import time

import pytest
from kafka import KafkaConsumer
from kafka.admin import NewTopic

from consumers.kafka_loop import learn_partitions
from lifecycle.admin import admin_client
from lifecycle.coordinator import wait_for_group_coordinator
from lifecycle.groups import ALL_GROUPS
from lifecycle.kafka_config import kafka_python_config
from lifecycle.settings import Settings


def _settings(kafka_bootstrap: str, topic_prefix: str) -> Settings:
    return Settings.from_env().replace(kafka_bootstrap=(kafka_bootstrap,), topic_prefix=topic_prefix)


def test_a_running_broker_s_coordinator_answers_for_every_group_at_once(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    settings = _settings(kafka_bootstrap, topic_prefix)
    started = time.monotonic()
    assert wait_for_group_coordinator(settings, ALL_GROUPS, wait=10.0) is True
    assert time.monotonic() - started < 5.0


def test_a_member_that_learnt_its_partitions_gets_them_all_at_its_first_join(
    kafka_bootstrap: str, topic_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = _settings(kafka_bootstrap, topic_prefix)
    topic = settings.topic("notices")
    with admin_client(settings) as admin:
        admin.create_topics([NewTopic(topic, 6, 1)])
    consumer = KafkaConsumer(topic, group_id=f"{topic_prefix}.join", **kafka_python_config(settings))
    try:
        with caplog.at_level(logging.WARNING, logger="kafka"):
            learn_partitions(consumer)
            deadline = time.monotonic() + 30
            while not consumer.assignment() and time.monotonic() < deadline:
                consumer.poll(timeout_ms=200)
        assert len(consumer.assignment()) == 6
        # Without it the leader often joins first and warns "No partition metadata for topic". Only this test's
        # topic and group count: a consumer of another test may still be logging from its own thread.
        assert [record.getMessage() for record in caplog.records if topic_prefix in record.getMessage()] == []
    finally:
        consumer.close(autocommit=False)
        with admin_client(settings) as admin:
            admin.delete_topics([topic])
