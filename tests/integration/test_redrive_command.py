"""`lifecycle redrive` against the real broker: letters whose topic does not exist are left out at once, named,
while the others are sent back."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime

from kafka import KafkaProducer
from topic_reading import read_topic

from lifecycle.deadletter import deadletter_record
from lifecycle.kafka_config import kafka_python_config
from lifecycle.settings import Settings

ORIGINAL = b'{"event_id": "r-1"}'


def test_a_letter_of_a_topic_that_does_not_exist_is_left_out_and_the_other_sent_back(
    topics: Settings, lifecycle_env: dict[str, str]
) -> None:
    prefix = topics.topic_prefix
    producer = KafkaProducer(**kafka_python_config(topics))
    for offset, origin in enumerate(("renewals", "gone")):
        value = deadletter_record(
            "no purchase", f"{prefix}.{origin}", 0, offset, b"SN-1", ORIGINAL, "processor", datetime.now(UTC)
        )
        producer.send(topics.topic("deadletter"), key=b"SN-1", value=value)
    producer.flush()
    producer.close()

    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "lifecycle.cli", "redrive"],
        env=lifecycle_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert time.monotonic() - started < 30  # no wait for a topic that never comes
    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines()[:3] == [
        "2 dead letters; sending back 1",
        f"  {prefix}.renewals: 1",
        f"  left out, topic {prefix}.gone does not exist: 1 (create it, then run the redrive again)",
    ]
    assert done.stdout.splitlines()[3].startswith("sent back 1; audit lines in ")
    assert "ERROR" not in done.stderr
    assert [value for _, value in read_topic(topics, "renewals")] == [ORIGINAL]
