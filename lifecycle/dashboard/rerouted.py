"""Messages the processor sent on to their murmur2 partition, by topic and event source, from the worker's /metrics.

A source listed here has a producer whose client partitions keys differently (librdkafka's CRC32, sarama's
FNV-1a): each such message costs one extra hop. The counts are the worker's since it started.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

FAMILY = "lifecycle_rerouted"  # the counter `lifecycle_rerouted_total` of lifecycle/metrics.py


def rerouted_in(text: str) -> list[dict[str, Any]]:
    """The rerouted counts in a Prometheus text exposition: one row per (topic, source), the largest first."""
    counts: Counter[tuple[str, str]] = Counter()
    for family in text_string_to_metric_families(text):
        if family.name != FAMILY:
            continue
        for sample in family.samples:
            if sample.name == f"{FAMILY}_total":
                counts[(sample.labels.get("topic", ""), sample.labels.get("source", ""))] += int(sample.value)
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [{"topic": topic, "source": source, "count": count} for (topic, source), count in rows]


async def read_rerouted(targets: dict[str, str]) -> list[dict[str, Any]] | None:
    """The worker's rerouted counts ([] when it has no metrics endpoint), or None when it does not answer."""
    url = targets.get("worker")
    if url is None:
        return []
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session,
            session.get(f"{url}/metrics") as response,
        ):
            text = await response.text()
    except (aiohttp.ClientError, TimeoutError):
        return None
    return rerouted_in(text)
