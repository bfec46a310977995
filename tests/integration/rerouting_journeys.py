"""The rerouting tests' traffic: purchases produced with kcat (librdkafka), the rest with `lifecycle emit`."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from aiokafka.partitioner import DefaultPartitioner
from kafka import KafkaAdminClient
from kcat import kcat_produce
from prometheus_client.parser import text_string_to_metric_families

from lifecycle.kafka_config import kafka_python_config
from lifecycle.samples import events as ev
from lifecycle.settings import Settings
from lifecycle.topics import PARTITIONS
from streams.app import group_id
from streams.harness import wait_caught_up

KCAT_SOURCE = "store-kcat"
BOUGHT = datetime(2025, 1, 6, 9, tzinfo=UTC)
Waves = list[list[dict[str, Any]]]


def crc32_partition(key: bytes) -> int:
    """librdkafka's default (consistent_random) placement of a keyed message: CRC32 of the key."""
    return zlib.crc32(key) % PARTITIONS


def aiokafka_partition(key: bytes) -> int:
    """aiokafka's own placement (murmur2), independent of the code under test."""
    partitions = list(range(PARTITIONS))
    return int(DefaultPartitioner()(key, partitions, partitions))


def journeys(count: int) -> Waves:
    """Four waves: the purchases (for kcat), registrations, renewals and PPI, renewal-order registrations."""
    waves: Waves = [[], [], [], []]
    for n in range(count):
        serial, account, at = f"SF-RR-{n:04d}", f"acc-rr-{n}", BOUGHT + timedelta(hours=n)
        kind = n % 4
        if kind == 0:
            bought = ev.purchase(
                f"rr-p{n}", at, serial, account, "true-image", "2025", "online_store", "subscription", 12
            )
            later = [
                [],
                [ev.renewal(f"rr-n{n}", at + timedelta(days=300), serial, account, f"ro{n}", 12, "online_store")],
            ]
        elif kind == 1:
            bought = ev.purchase(f"rr-p{n}", at, serial, account, "true-image", "2025")
            later = [[ev.registration(f"rr-r{n}", at + timedelta(days=1), serial, account)]]
            later.append([ev.ppi(f"rr-i{n}", at + timedelta(days=40), serial, account)])
        elif kind == 2:
            bought = ev.purchase(f"rr-p{n}", at, serial, account, "backup-advanced", "12", "retail_box")
            later = [[ev.registration(f"rr-r{n}", at + timedelta(days=2), serial, account)]]
            later.append([ev.renewal(f"rr-n{n}", at + timedelta(days=330), serial, account, f"ro{n}", 12, "sales")])
            later.append([ev.registration(f"rr-s{n}", at + timedelta(days=335), serial, account, f"ro{n}")])
        else:
            bought = ev.purchase(f"rr-p{n}", at, serial, account, "backup-advanced", "12")
            later = []
        waves[0].append({**bought, "source": KCAT_SOURCE})
        for wave, events in enumerate(later, start=1):
            waves[wave].extend(events)
    return waves


def lines_of(waves: Waves) -> list[str]:
    """Every event as a JSON line, wave by wave (the order the live pipeline sees them)."""
    return [orjson.dumps(event).decode() for wave in waves for event in wave]


def send_waves(
    settings: Settings, env: dict[str, str], waves: Waves, folder: Path, purchases_last: bool = False
) -> None:
    """kcat the purchases and wait until they are handled (rerouted copies too), then emit each later wave in
    turn; or, `purchases_last`, emit the later waves first (they wait for their purchases: R14a) and kcat the
    purchases at the end."""
    if not purchases_last:
        kcat_purchases(settings, waves)
    command = [str(Path(sys.executable).with_name("lifecycle")), "emit"]
    for number, wave in enumerate(waves[1:], start=1):
        path = folder / f"wave-{number}.jsonl"
        path.write_text("".join(orjson.dumps(event).decode() + "\n" for event in wave))
        subprocess.run([*command, str(path)], env=env, check=True, timeout=60, capture_output=True)
        wait_caught_up(settings)
    if purchases_last:
        kcat_purchases(settings, waves)


def kcat_purchases(settings: Settings, waves: Waves) -> None:
    """Produce the first wave (the purchases) with kcat's default partitioner, and wait until it is handled."""
    kcat_produce(settings, "purchases", [(e["serial"].encode(), orjson.dumps(e)) for e in waves[0]])
    wait_caught_up(settings)


def wait_members(settings: Settings, members: int, timeout: float = 90.0) -> None:
    """Wait until the processor's group is stable with `members` members."""
    admin = KafkaAdminClient(**kafka_python_config(settings))
    deadline = time.monotonic() + timeout
    try:
        while True:
            described = admin.describe_groups([group_id(settings)])[group_id(settings)]
            if described.get("group_state") == "Stable" and len(described.get("members") or []) == members:
                return
            assert time.monotonic() < deadline, f"processor group never stable with {members} members: {described}"
            time.sleep(1.0)
    finally:
        admin.close()


def scrape(port: int) -> str:
    """The text of a worker's /metrics."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text: str = response.read().decode()
        return text


def events_by_outcome(text: str) -> dict[str, float]:
    """lifecycle_events_total of the worker, by outcome."""
    return {
        sample.labels["outcome"]: sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "lifecycle_events"
        for sample in family.samples
        if sample.name == "lifecycle_events_total" and sample.labels.get("component") == "worker"
    }
