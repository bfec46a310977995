"""Poison against a live worker on the real broker: a purchase just under the message size limit, a gzip message
that decodes to 10 MB, JSON nested 100,000 deep, binary garbage and control characters are each dead-lettered
once with a bounded letter; the worker stays up, the ordinary events after them are applied, and the lag is 0.
"""

from __future__ import annotations

import hashlib
import random
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from kafka import KafkaProducer
from ports import free_port
from processor_harness import latest_by_key

from lifecycle.deadletter import DEFAULT_PREVIEW_BYTES
from lifecycle.kafka_config import kafka_python_config
from lifecycle.samples import events as ev
from lifecycle.settings import Settings
from lifecycle.topics import MAX_MESSAGE_BYTES, fits_in_a_message
from streams.harness import WorkerProcess, read_all, wait_caught_up

pytestmark = pytest.mark.faults

AT = datetime(2025, 1, 6, 9, tzinfo=UTC)
ORDINARY = 30
DECODED_GZIP_BYTES = 10_000_000
# A letter holds the preview as text (escaped, at most twice), its base64 when whole, and a bounded key and reason.
LETTER_BOUND = 5 * DEFAULT_PREVIEW_BYTES


def purchase(serial: str, number: int, **extra: object) -> bytes:
    document = ev.purchase(
        f"poison-p{number}", AT + timedelta(minutes=number), serial, "acp-1", "backup-advanced", "12"
    )
    return orjson.dumps({**document, **extra})  # extra fields are allowed by the contract


def padded_purchase(serial: str, number: int, size: int) -> bytes:
    """A schema-valid purchase of exactly `size` bytes, filled by an extra field."""
    bare = len(purchase(serial, number, notes=""))
    return purchase(serial, number, notes="n" * (size - bare))


def poison() -> dict[str, tuple[bytes, bytes, str | None]]:
    """name -> (key, value, compression) of each hostile input, all on the purchases topic."""
    huge_key = b"SN-POISON-HUGE"
    garbage = random.Random(15).randbytes(300_000)
    return {
        "just under the limit": (huge_key, padded_purchase("SN-POISON-HUGE", 1, MAX_MESSAGE_BYTES - 1024), None),
        "gzip to 10 MB": (b"SN-POISON-GZIP", padded_purchase("SN-POISON-GZIP", 2, DECODED_GZIP_BYTES), "gzip"),
        "nested 100,000 deep": (b"poison-nested", b"[" * 100_000 + b"]" * 100_000, None),
        "binary garbage": (b"poison-binary", garbage, None),
        "control characters": (b"poison-control", bytes(range(32)) * 5_000, None),
        "control characters in the serial": (b"SN-\x00\x07", purchase("SN-\x00\x07", 3), None),
    }


def produce(settings: Settings, key: bytes, value: bytes, compression: str | None) -> None:
    """Send one record as it is; the client's own size check is lifted for the compressed one (the broker's stays)."""
    limit = 2 * DECODED_GZIP_BYTES if compression else MAX_MESSAGE_BYTES
    client = KafkaProducer(
        acks="all", compression_type=compression, max_request_size=limit, **kafka_python_config(settings)
    )
    try:
        client.send(settings.topic("purchases"), key=key, value=value).get(timeout=60)
    finally:
        client.close()


@pytest.fixture
def worker(lifecycle_env: dict[str, str], tmp_path: Path) -> Iterator[WorkerProcess]:
    process = WorkerProcess(lifecycle_env, tmp_path / "worker", free_port(), tmp_path / "worker.log")
    yield process
    process.stop()


def test_poison_is_dead_lettered_once_with_a_bounded_letter_and_the_worker_goes_on(
    topics: Settings, worker: WorkerProcess, lifecycle_env: dict[str, str]
) -> None:
    hostile = poison()
    worker.start()
    for key, value, compression in hostile.values():
        produce(topics, key, value, compression)
    for number in range(ORDINARY):
        serial = f"SN-AFTER-{number:03d}"
        produce(topics, serial.encode(), purchase(serial, 100 + number), None)

    wait_caught_up(topics, timeout=240)

    assert worker.alive
    assert "Crashed reason=" not in worker.log_path.read_text(errors="replace")
    letters = read_all(topics, "deadletter")
    documents = [orjson.loads(letter.value) for letter in letters]
    origins = Counter(
        (doc["origin"]["topic"], doc["origin"]["partition"], doc["origin"]["offset"]) for doc in documents
    )
    assert len(origins) == len(hostile), [doc["reason"] for doc in documents]
    assert set(origins.values()) == {1}, "an input was dead-lettered more than once"
    for letter in letters:
        assert fits_in_a_message(letter.key, letter.value)
        assert len(letter.value) + len(letter.key or b"") <= LETTER_BOUND
    by_sha = {doc["payload_sha256"]: doc for doc in documents}
    for name, (_, value, _) in hostile.items():
        document = by_sha[hashlib.sha256(value).hexdigest()]
        assert document["payload_bytes"] == len(value), name
        assert document["payload_truncated"] is (len(value) > DEFAULT_PREVIEW_BYTES), name
    for name in ("just under the limit", "gzip to 10 MB"):
        reason = by_sha[hashlib.sha256(hostile[name][1]).hexdigest()]["reason"]
        assert reason.startswith("state too large: serial 'SN-POISON-"), (name, reason)

    snapshots = latest_by_key(topics, "entitlements")
    assert sorted(snapshots) == [f"SN-AFTER-{number:03d}" for number in range(ORDINARY)]
    assert {snapshot["status"] for snapshot in snapshots.values()} == {"active"}

    redrive = subprocess.run(
        [sys.executable, "-m", "lifecycle.cli", "redrive", "--dry-run"],
        env=lifecycle_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    too_large = [line for line in redrive.stdout.splitlines() if "not sent back, original not kept whole" in line]
    expected = {hashlib.sha256(v).hexdigest() for _, v, _ in hostile.values() if len(v) > DEFAULT_PREVIEW_BYTES}
    assert {line.split("sha256 ")[1].split(":")[0] for line in too_large} == expected
