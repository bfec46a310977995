"""Drive a processor from outside, over a real broker: worker processes, raw input, catch-up, outputs.

Used by `lifecycle bench processor` and by the processor's integration and fault tests.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition

from lifecycle.emit import event_key
from lifecycle.kafka_config import kafka_python_config
from lifecycle.settings import Settings
from lifecycle.topic_log import read_to_end
from lifecycle.topics import TOPIC_BY_EVENT_TYPE
from streams.app import INPUTS, group_id

Raw = tuple[str, bytes | None, bytes]  # topic suffix, key, value


def route_line(line: str, number: int) -> Raw:
    """Where a JSON line goes: its type's topic keyed as `lifecycle emit` keys it; anything else is poison
    sent to the purchases topic under its own key."""
    value = line.strip().encode()
    try:
        document = orjson.loads(value)
    except orjson.JSONDecodeError:
        document = None
    if isinstance(document, dict) and document.get("type") in TOPIC_BY_EVENT_TYPE:
        kind = document["type"]
        try:
            key = event_key(document)
        except (KeyError, TypeError):
            key = None
        if isinstance(key, str):
            return TOPIC_BY_EVENT_TYPE[kind].suffix, key.encode(), value
    return "purchases", f"poison-{number}".encode(), value


def producer(settings: Settings, linger_ms: int = 20) -> KafkaProducer:
    return KafkaProducer(acks="all", linger_ms=linger_ms, batch_size=256 * 1024, **kafka_python_config(settings))


def produce(settings: Settings, records: Iterable[Raw]) -> int:
    """Publish raw records (no validation: poison must reach the processor as it is); return how many."""
    client = producer(settings)
    count = 0
    try:
        for suffix, key, value in records:
            client.send(settings.topic(suffix), key=key, value=value)
            count += 1
        client.flush()
    finally:
        client.close()
    return count


def read_all(settings: Settings, suffix: str, timeout: float = 60.0) -> list[Any]:
    """Every record of a topic under the settings' prefix, from the start to its current end."""
    return read_to_end(settings, settings.topic(suffix), timeout)


def lag(settings: Settings, group: str) -> int:
    """Messages in the processor's input topics not yet committed by `group`."""
    return sum(lag_by_partition(settings, group).values())


def lag_by_partition(settings: Settings, group: str) -> dict[TopicPartition, int]:
    """Per input partition, the messages not yet committed by `group`."""
    admin = KafkaAdminClient(**kafka_python_config(settings))
    consumer = KafkaConsumer(enable_auto_commit=False, **kafka_python_config(settings))  # no group: nothing to commit
    try:
        offsets = admin.list_group_offsets({group: None}).get(group, {})
        committed = {tp: meta.offset for tp, meta in offsets.items()}
        partitions = [TopicPartition(settings.topic(spec.suffix), p) for spec in INPUTS for p in range(spec.partitions)]
        ends = consumer.end_offsets(partitions)
        return {tp: max(0, end - committed.get(tp, 0)) for tp, end in ends.items()}
    finally:
        admin.close()
        consumer.close()


def wait_caught_up(settings: Settings, timeout: float = 120.0) -> None:
    """Wait until the processor's group has committed every input message (twice in a row, a second apart)."""
    deadline = time.monotonic() + timeout
    group, zero_seen = group_id(settings), 0
    while zero_seen < 2:
        if time.monotonic() > deadline:
            behind = {f"{tp.topic}[{tp.partition}]": n for tp, n in lag_by_partition(settings, group).items() if n}
            raise TimeoutError(f"processor group {group} still behind: {behind}")
        zero_seen = zero_seen + 1 if lag(settings, group) == 0 else 0
        time.sleep(1.0)


@dataclass
class WorkerProcess:
    """`lifecycle worker` as a child process with its own data folder and web port."""

    env: Mapping[str, str]
    data_dir: Path
    web_port: int
    log_path: Path
    metrics_port: int = 0  # LIFECYCLE_METRICS_PORT: 0 serves no /metrics; else the worker's is this + 1
    process: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = None

    def start(self) -> WorkerProcess:
        env = {
            **self.env,
            "LIFECYCLE_WORKER_DATA_DIR": str(self.data_dir),
            "LIFECYCLE_WEB_PORT": str(self.web_port),
            "LIFECYCLE_METRICS_PORT": str(self.metrics_port),
        }
        self._log = self.log_path.open("ab")
        command = [str(Path(sys.executable).with_name("lifecycle")), "worker", "--loglevel", "info"]
        self.process = subprocess.Popen(command, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        return self

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the worker process has used so far; 0.0 when it is not running (Linux /proc)."""
        if not self.alive or self.process is None:
            return 0.0
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        # After the command's name: utime and stime are the 12th and 13th fields, in clock ticks.
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def peak_rss_mib(self) -> float:
        """The most memory the worker process has held resident so far, in MiB; 0.0 when it is not running."""
        if not self.alive or self.process is None:
            return 0.0
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return 0.0
        peak = next((line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")), "0")
        return int(peak) / 1024  # the kernel counts it in kB

    def kill(self) -> None:
        """kill -9: no shutdown, no flush, no commit."""
        self._signal(signal.SIGKILL)

    def stop(self, timeout: float = 60.0) -> None:
        """A clean stop (SIGTERM), waiting for it; kill -9 when it does not end in time."""
        self._signal(signal.SIGTERM, timeout)

    def _signal(self, signum: int, timeout: float = 30.0) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            os.kill(self.process.pid, signum)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        if self._log is not None:
            self._log.close()
            self._log = None
