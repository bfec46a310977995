"""The processor benchmark: sustained events/s against a bare aiokafka passthrough, and latency at half rate.

The passthrough's rate swings between runs on a shared broker, so it runs three times in the same benchmark
(before the processor, after it and after the latency run) and the ratio is taken against the median.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

import orjson
from kafka import KafkaConsumer, TopicPartition
from kafka.admin import NewTopic

from lifecycle.admin import admin_client, delete_topics, ensure_topics
from lifecycle.coordinator import until_coordinator_ready
from lifecycle.kafka_config import kafka_python_config
from lifecycle.samples import synthetic_events
from lifecycle.settings import Settings
from lifecycle.topics import PARTITIONS
from streams.bench_passthrough import PASSTHROUGH, PASSTHROUGH_RUNS, PassthroughRun, passthrough_run, span_rate
from streams.harness import Raw, WorkerProcess, produce, producer, read_all, route_line, wait_caught_up

log = logging.getLogger(__name__)


def synthetic(count: int, seed: int, tag: str = "") -> list[Raw]:
    """Synthetic events routed to their topics; `tag` renames serials and ids so a second stream is all new."""
    raws = []
    for number, original in enumerate(synthetic_events(count, seed)):
        event = dict(original)
        for name in ("event_id", "serial", "new_serial") if tag else ():
            if name in event:
                event[name] = tag + event[name]
        raws.append(route_line(orjson.dumps(event).decode(), number))
    return raws


def latency(settings: Settings, raws: list[Raw], rate: float) -> list[float]:
    """Seconds from sending each event (paced at `rate`/s) to the snapshot that names it as last_event_id."""
    sent: dict[str, float] = {}
    arrived: dict[str, float] = {}
    consumer = KafkaConsumer(enable_auto_commit=False, **kafka_python_config(settings))  # no group: nothing to commit
    name = settings.topic("entitlements")
    partitions = [TopicPartition(name, p) for p in range(PARTITIONS)]
    consumer.assign(partitions)
    consumer.seek_to_end(*partitions)
    for tp in partitions:
        consumer.position(tp)
    done = threading.Event()

    def collect() -> None:
        while not done.is_set():
            for batch in consumer.poll(timeout_ms=100).values():
                now = time.monotonic()
                for record in batch:
                    arrived.setdefault(orjson.loads(record.value)["last_event_id"], now)

    reader = threading.Thread(target=collect, daemon=True)
    reader.start()
    client = producer(settings, linger_ms=0)
    start = time.monotonic()
    for number, (suffix, key, value) in enumerate(raws):
        delay = start + number / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        sent[orjson.loads(value)["event_id"]] = time.monotonic()
        client.send(settings.topic(suffix), key=key, value=value)
    client.flush()
    client.close()
    until_coordinator_ready(lambda: wait_caught_up(settings, timeout=600))
    time.sleep(1.0)
    done.set()
    reader.join()
    consumer.close()
    return sorted(arrived[event_id] - at for event_id, at in sent.items() if event_id in arrived)


def wait_for_output(settings: Settings, suffix: str, timeout: float) -> None:
    """Wait until the topic holds a first record (the worker has begun handling events)."""
    consumer = KafkaConsumer(enable_auto_commit=False, **kafka_python_config(settings))  # no group: nothing to commit
    partitions = [TopicPartition(settings.topic(suffix), p) for p in range(PARTITIONS)]
    deadline = time.monotonic() + timeout
    try:
        while not any(consumer.end_offsets(partitions).values()):
            if time.monotonic() > deadline:
                raise TimeoutError(f"no record on {settings.topic(suffix)} after {timeout:.0f} s")
            time.sleep(0.05)
    finally:
        consumer.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def run_processor_bench(settings: Settings, count: int, seed: int = 7) -> dict[str, float]:
    """Run the whole benchmark on a fresh topic prefix and return its figures; every topic of the prefix is deleted."""
    workdir = Path(tempfile.mkdtemp(prefix="lifecycle-bench-"))
    worker = WorkerProcess(
        {**os.environ, "LIFECYCLE_TOPIC_PREFIX": settings.topic_prefix},
        workdir / "worker",
        free_port(),
        workdir / "worker.log",
    )
    try:
        ensure_topics(settings)
        with admin_client(settings) as client:
            client.create_topics(
                [NewTopic(settings.topic(f"{PASSTHROUGH}-{run}"), PARTITIONS, -1) for run in PASSTHROUGH_RUNS]
            )
        produce(settings, synthetic(count, seed))
        runs: dict[str, PassthroughRun] = {"before": passthrough_run(settings, count, "before")}
        worker.start()
        wait_for_output(settings, "entitlements", timeout=300)
        cpu_at_first_output = worker.cpu_seconds()  # start-up (imports, joining the group, recovery) left out
        until_coordinator_ready(lambda: wait_caught_up(settings, timeout=3600))
        cpu = worker.cpu_seconds() - cpu_at_first_output
        peak_rss = worker.peak_rss_mib()
        processor_rate = span_rate(read_all(settings, "entitlements", timeout=300), count)
        runs["after"] = passthrough_run(settings, count, "after")
        paced = processor_rate / 2
        lat = latency(settings, synthetic(min(int(paced * 30), 20_000), seed + 1, tag="L"), paced)
        q = statistics.quantiles(lat, n=100)
        runs["last"] = passthrough_run(settings, count, "last")
        passthrough_rates = {run: measured.events_per_s for run, measured in runs.items()}
        median = statistics.median(passthrough_rates.values())
        passthrough_cpu = statistics.median(measured.cpu_us_per_event for measured in runs.values())
        worker_cpu = cpu / count * 1e6
        return {
            "events": count,
            "processor_events_per_s": processor_rate,
            "passthrough_events_per_s": median,  # the median of the runs
            **{f"passthrough_{run}_events_per_s": rate for run, rate in passthrough_rates.items()},
            "ratio": processor_rate / median,
            "ratio_low": processor_rate / max(passthrough_rates.values()),
            "ratio_high": processor_rate / min(passthrough_rates.values()),
            "worker_cpu_s": cpu,
            "worker_cpu_us_per_event": worker_cpu,
            "passthrough_cpu_us_per_event": passthrough_cpu,  # the median of the runs
            # CPU per event, passthrough over processor: less swayed than the rates by what else the machine runs.
            "cpu_ratio": passthrough_cpu / worker_cpu,
            "worker_peak_rss_mib": peak_rss,
            "latency_rate_per_s": paced,
            "latency_samples": len(lat),
            "latency_p50_ms": q[49] * 1000,
            "latency_p99_ms": q[98] * 1000,
        }
    finally:
        try:
            worker.stop()
            delete_topics(settings)  # faust's own topics under the prefix too
        finally:
            shutil.rmtree(workdir, ignore_errors=True)  # the stopped worker's table and log: nothing left behind
