"""deploy/examples/entitlements_consumer.py against the real broker: bootstrap from the topic, then follow it."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from examples import example
from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic

from lifecycle.topics import ENTITLEMENTS

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "deploy" / "examples" / "entitlements_consumer.py"
SNAPSHOT = example("entitlement")


@pytest.fixture
def entitlements_topic(kafka_bootstrap: str, topic_prefix: str) -> Iterator[str]:
    """The entitlements topic, as lifecycle/topics.py defines it, under this test's prefix; deleted afterwards."""
    name = ENTITLEMENTS.name(topic_prefix)
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    try:
        admin.create_topics([NewTopic(name, ENTITLEMENTS.partitions, 1, topic_configs=ENTITLEMENTS.configs())])
        yield name
        admin.delete_topics([name])
    finally:
        admin.close()


def _publish(bootstrap: str, topic: str, *snapshots: tuple[str, int, bool]) -> None:
    """Publish snapshots (serial, revision, with schema_version) keyed by serial, in this order."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    try:
        for serial, revision, versioned in snapshots:
            snapshot = {**SNAPSHOT, "serial": serial, "revision": revision}
            if not versioned:  # as records written before schema_version was added, still in the compacted topic
                del snapshot["schema_version"]
            producer.send(topic, key=serial.encode(), value=orjson.dumps(snapshot))
        producer.flush(timeout=30)
    finally:
        producer.close()


def _line(serial: str, revision: int) -> dict[str, Any]:
    support = SNAPSHOT["support"]
    return {
        "serial": serial,
        "revision": revision,
        "status": SNAPSHOT["status"],
        "program": support["program"],
        "expires_on": support["expires_on"],
        "channels": support["channels"],
    }


def test_bootstrap_keeps_the_highest_revision_per_serial(kafka_bootstrap: str, entitlements_topic: str) -> None:
    _publish(
        kafka_bootstrap,
        entitlements_topic,
        *[("SN-A", 1, True), ("SN-A", 3, True), ("SN-A", 2, True)],  # a stale revision after a newer one
        *[("SN-B", 1, False), ("SN-B", 1, False)],  # an older record without schema_version, repeated
        *[("SN-C", 2, True), ("SN-C", 1, True)],
    )
    command = [sys.executable, str(EXAMPLE), "--bootstrap", kafka_bootstrap, "--topic", entitlements_topic]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert [json.loads(line) for line in result.stdout.splitlines()] == [
        _line("SN-A", 3),
        _line("SN-B", 1),
        _line("SN-C", 2),
    ]


@pytest.mark.timeout(120)
def test_follow_prints_only_newer_revisions(kafka_bootstrap: str, entitlements_topic: str) -> None:
    _publish(kafka_bootstrap, entitlements_topic, ("SN-A", 2, True))
    command = [sys.executable, str(EXAMPLE), "--bootstrap", kafka_bootstrap, "--topic", entitlements_topic, "--follow"]
    follower = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert follower.stdout is not None
        assert json.loads(follower.stdout.readline()) == _line("SN-A", 2)
        _publish(kafka_bootstrap, entitlements_topic, ("SN-A", 1, True), ("SN-B", 1, True), ("SN-A", 5, True))
        # The two serials' partitions may come in either order; each serial's records come in order.
        followed = sorted((json.loads(follower.stdout.readline()) for _ in range(2)), key=lambda line: line["serial"])
        assert followed == [_line("SN-A", 5), _line("SN-B", 1)]
    finally:
        follower.kill()
        follower.communicate(timeout=30)


def test_a_missing_topic_is_one_line(kafka_bootstrap: str, topic_prefix: str) -> None:
    command = [sys.executable, str(EXAMPLE), "--bootstrap", kafka_bootstrap, "--topic", f"{topic_prefix}.nothing"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1
    assert (
        result.stderr == f"topic {topic_prefix}.nothing not found at {kafka_bootstrap}: check --topic and --bootstrap\n"
    )
