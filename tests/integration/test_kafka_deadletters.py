"""The dead-letter publisher's contract (tests/deadletters_contract.py) held against KafkaDeadLetters on a topic."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from deadletters_contract import DeadLettersContract, Letter, Port, letter_from_record
from kafka import KafkaProducer
from topic_reading import read_topic

from consumers.deadletters import KafkaDeadLetters
from lifecycle.kafka_config import kafka_python_config
from lifecycle.settings import Settings
from lifecycle.topics import DEADLETTER


class TestKafkaDeadLetters(DeadLettersContract):
    @pytest.fixture
    def port(self, topics: Settings) -> Iterator[Port]:
        """KafkaDeadLetters on this test's own dead-letter topic, read back from the broker."""
        producer = KafkaProducer(acks="all", **kafka_python_config(topics))
        dead_letters = KafkaDeadLetters(producer, topics.topic(DEADLETTER.suffix), "contract")

        def published() -> list[Letter]:
            return [letter_from_record(key, value) for key, value in read_topic(topics, DEADLETTER.suffix) if value]

        yield dead_letters, published
        producer.close(timeout=10)
