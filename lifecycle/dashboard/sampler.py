"""One background loop samples Kafka, PostgreSQL and the processes; requests only read its latest snapshot."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from lifecycle import metrics
from lifecycle.dashboard.deadletters import DeadLetterReader
from lifecycle.dashboard.decisions import CaseDecisionReader
from lifecycle.dashboard.health import health_targets, probe_all
from lifecycle.dashboard.kafka_view import KafkaSampler
from lifecycle.dashboard.lag_status import LagRules
from lifecycle.dashboard.lag_windows import LagWindows
from lifecycle.dashboard.rerouted import read_rerouted
from lifecycle.dashboard.store_view import StoreFigures
from lifecycle.redact import redact
from lifecycle.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Snapshot:
    """The latest sample of every part; `errors` names the parts that failed last time, with why."""

    sampled_at: float | None = None
    kafka: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, Any] | None = None
    health: list[dict[str, Any]] = field(default_factory=list)
    rerouted: list[dict[str, Any]] = field(default_factory=list)  # the worker's, by topic and source
    case_decisions: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


class Sampler:
    """Owns the Kafka and PostgreSQL clients; `run` refreshes the snapshot every `interval` seconds."""

    def __init__(self, settings: Settings, interval: float) -> None:
        self.settings = settings
        self.interval = interval
        self.snapshot = Snapshot()
        self.kafka: KafkaSampler | None = None
        self.deadletters: DeadLetterReader | None = None
        self.decisions: CaseDecisionReader | None = None
        self.store = StoreFigures(settings)
        self.lag = LagWindows(LagRules(settings.lag_window_seconds, settings.lag_stopped_seconds), interval)

    def _sample_kafka(self) -> dict[str, Any]:
        if self.kafka is None:
            self.kafka = KafkaSampler(self.settings)
        sample = self.kafka.sample()
        self.lag.judge(sample["groups"], sample["sampled_at"])  # each partition's status over its window
        return sample

    def _refresh_deadletters(self) -> None:
        if self.deadletters is None:
            self.deadletters = DeadLetterReader(self.settings)
        self.deadletters.refresh()

    def _read_decisions(self) -> dict[str, Any]:
        if self.decisions is None:
            self.decisions = CaseDecisionReader(self.settings)
        self.decisions.refresh()
        return self.decisions.view()

    def _read_figures(self) -> dict[str, Any]:
        figures = self.store.read()
        for status, count in figures["entitlements"].get("by_status", {}).items():
            metrics.ENTITLEMENTS.labels(status).set(count)
        if "events" in figures["holds"]:
            metrics.HELD_EVENTS.set(figures["holds"]["events"])
        return figures

    async def _part(self, name: str, errors: dict[str, str], call: Any) -> Any:
        try:
            return await asyncio.to_thread(call)
        except Exception as exc:  # every failure is shown on the page; the loop goes on
            # Redacted before it is cut short: a DSN echoed by libpq must not leave half its password behind.
            errors[name] = redact(f"{type(exc).__name__}: {str(exc).strip()}")[:200]
            if self.snapshot.errors.get(name) != errors[name]:
                log.warning("sampling %s failed: %s", name, errors[name])
            return None

    async def sample_once(self) -> None:
        """Refresh every part; a failing part keeps its previous value and reports its error."""
        errors: dict[str, str] = {}
        kafka = await self._part("kafka", errors, self._sample_kafka)
        await self._part("deadletters", errors, self._refresh_deadletters)
        decisions = await self._part("case_decisions", errors, self._read_decisions)
        figures = await self._part("postgresql", errors, self._read_figures)
        targets = health_targets(self.settings)
        health = await probe_all(targets)
        rerouted = await read_rerouted(targets)
        previous = self.snapshot
        self.snapshot = Snapshot(
            sampled_at=time.time(),
            kafka=kafka if kafka is not None else previous.kafka,
            figures=figures if figures is not None else previous.figures,
            health=health,
            rerouted=rerouted if rerouted is not None else previous.rerouted,
            case_decisions=decisions if decisions is not None else previous.case_decisions,
            errors=errors,
        )
        metrics.beat("dashboard")

    async def run(self) -> None:
        """Sample forever, `interval` seconds apart."""
        while True:
            started = time.monotonic()
            await self.sample_once()
            await asyncio.sleep(max(0.2, self.interval - (time.monotonic() - started)))

    def close(self) -> None:
        """Close every client."""
        for client in (self.kafka, self.deadletters, self.decisions, self.store):
            if client is not None:
                client.close()
