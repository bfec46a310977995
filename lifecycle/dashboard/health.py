"""Health of the processes: the /healthz each one serves on its metrics port (lifecycle/health_http.py).

A process is `up` when its /healthz answers 200, `stale` when it answers 503 (its main loop stopped
beating, or it reported itself stuck: the detail says which), and `down` when nothing answers. A
process that serves no /healthz yet (an older version during a rolling upgrade) is judged by the
heartbeat on its /metrics: `up` when younger than STALE_SECONDS.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime
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


def _age(instant: object, now: float) -> float | None:
    if not isinstance(instant, str):
        return None
    try:
        return round(max(0.0, now - datetime.fromisoformat(instant).timestamp()), 1)
    except ValueError:
        return None


def health_row(component: str, url: str, code: int, text: str, now: float) -> dict[str, Any] | None:
    """The dashboard's row for a /healthz answer; None when the answer is not one (no health endpoint there)."""
    try:
        body = json.loads(text)
    except ValueError:
        return None
    if code not in (200, 503) or not isinstance(body, dict) or "status" not in body:
        return None
    age = _age(body.get("last_progress_at"), now)
    row = {"component": component, "endpoint": url, "heartbeat_age_s": age}
    if code == 200:
        return {**row, "status": "up", "detail": "" if body["status"] == "live" else str(body.get("detail", ""))}
    return {**row, "status": "stale", "detail": f"{body['status']}: {body.get('detail', '')}"}


async def _probe(session: aiohttp.ClientSession, component: str, url: str, now: float) -> dict[str, Any]:
    row: dict[str, Any] = {"component": component, "endpoint": url, "heartbeat_age_s": None}
    try:
        async with session.get(f"{url}/healthz") as response:
            answered = health_row(component, url, response.status, await response.text(), now)
        if answered is not None:
            return answered
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
