"""Helpers for rule tests: run events through the pure rules with event-time clocks."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from lifecycle.rules import Catalog, Outcome, Policy, SerialState, advance, apply_event
from lifecycle.rules.calendar import day_start
from lifecycle.rules.engine import event_time

POLICY = Policy()


def at(text: str) -> datetime:
    """An instant from `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM`, in UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class Journey:
    """One pipeline's worth of per-serial states, fed event by event, collecting what it sends."""

    def __init__(
        self, catalog: Catalog | None = None, policy: Policy = POLICY, arrived_at: datetime | None = None
    ) -> None:
        self.catalog: Catalog = catalog or {}
        self.policy = policy
        self.arrived_at = arrived_at  # the wall clock events arrive at; None: each event's own time
        self.states: dict[str, SerialState] = {}
        self.notices: list[dict[str, Any]] = []
        self.snapshots: list[dict[str, Any]] = []
        self.rejections: list[str] = []
        self.accepted: list[dict[str, Any]] = []
        self.decisions: list[dict[str, Any]] = []
        self.refused: list[tuple[str, str]] = []  # (event id, reason) of events refused after a hold

    def _take(self, serial: str, outcome: Outcome) -> Outcome:
        if outcome.state is not None:
            self.states[serial] = outcome.state
        self.notices.extend(outcome.notices)
        self.decisions.extend(outcome.decisions)
        if outcome.snapshot is not None:
            self.snapshots.append(outcome.snapshot)
        if outcome.rejection is not None:
            self.rejections.append(outcome.rejection)
        self.refused.extend((str(event["event_id"]), reason) for event, reason in outcome.refused)
        for derived in outcome.derived:
            self.send(derived)
        return outcome

    def send(self, *events: dict[str, Any]) -> Outcome:
        outcome = Outcome(None)
        for event in events:
            serial = str(event["serial"])
            state = self.states.get(serial)
            outcome = self._take(
                serial, apply_event(state, event, event_time(event), self.catalog, self.policy, self.arrived_at)
            )
            if outcome.rejection is None:
                self.accepted.append(event)
        return outcome

    def wait_until(self, day: str | date) -> None:
        """Let time pass for every serial (what the scheduler's ticks do)."""
        instant = day_start(date.fromisoformat(day)) if isinstance(day, str) else day_start(day)
        for serial in sorted(self.states):
            self._take(serial, advance(self.states[serial], instant, self.catalog, self.policy))

    def snapshot(self, serial: str) -> dict[str, Any]:
        snapshot = self.states[serial].snapshot
        assert snapshot is not None, f"no entitlement for {serial}"
        return snapshot

    def kinds(self, serial: str | None = None) -> list[str]:
        return [n["kind"] for n in self.notices if serial is None or n["serial"] == serial]


def journey(events: Iterable[dict[str, Any]], catalog: Catalog | None = None) -> Journey:
    trip = Journey(catalog)
    trip.send(*events)
    return trip


def without_taken_back(snapshots: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The snapshots but those of a new serial whose grant was taken back (upgraded from a source, no support), and
    those of serials with none (an event of the new serial waits for its grant in event-time order)."""
    return {
        serial: snapshot
        for serial, snapshot in snapshots.items()
        if snapshot and not (snapshot.get("upgraded_from") and snapshot.get("status") == "no_support")
    }
