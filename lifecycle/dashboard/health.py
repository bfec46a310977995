"""Health of the processes: the heartbeat each one exposes on its /metrics port (see lifecycle/metrics.py).

A process is `up` when its endpoint answers with a heartbeat younger than STALE_SECONDS, `stale` when
it answers with an older one (its main loop stopped beating), and `down` when nothing answers.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from lifecycle.metrics import metrics_port
from lifecycle.settings import Settings

PROCESSES = ("worker", "store", "scheduler", "notifier")
STALE_SECONDS = 60.0
HEARTBEAT = "lifecycle_heartbeat_timestamp_seconds"


def health_targets(settings: Settings) -> dict[str, str]:
    """component -> base URL of its /metrics endpoint: LIFECYCLE_HEALTH_TARGETS, else the local ports."""
    if settings.health_targets:
        pairs = (target.split("=", 1) for target in settings.health_targets if "=" in target)
        return {name.strip(): url.strip().rstrip("/") for name, url in pairs}
    if settings.metrics_port == 0:
        return {}
    host = "127.0.0.1" if settings.web_bind in ("0.0.0.0", "") else settings.web_bind
    return {name: f"http://{host}:{metrics_port(settings, name)}" for name in PROCESSES}


def heartbeat_in(text: str, component: str) -> float | None:
    """The component's heartbeat timestamp in a Prometheus text exposition, if present."""
    for family in text_string_to_metric_families(text):
        if family.name == HEARTBEAT:
            for sample in family.samples:
                if sample.labels.get("component") == component:
                    return float(sample.value)
    return None


async def _probe(session: aiohttp.ClientSession, component: str, url: str, now: float) -> dict[str, Any]:
    row: dict[str, Any] = {"component": component, "endpoint": url, "heartbeat_age_s": None}
    try:
        async with session.get(f"{url}/metrics") as response:
            text = await response.text()
    except (aiohttp.ClientError, TimeoutError) as exc:
        return {**row, "status": "down", "detail": type(exc).__name__}
    beat = heartbeat_in(text, component)
    if beat is None:
        return {**row, "status": "stale", "detail": "no heartbeat metric"}
    age = round(max(0.0, now - beat), 1)
    status = "up" if age < STALE_SECONDS else "stale"
    return {**row, "status": status, "heartbeat_age_s": age, "detail": ""}


async def probe_all(targets: dict[str, str]) -> list[dict[str, Any]]:
    """Probe every target concurrently, two seconds each at most."""
    now = time.time()
    timeout = aiohttp.ClientTimeout(total=2)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        return list(await asyncio.gather(*(_probe(session, name, url, now) for name, url in targets.items())))
