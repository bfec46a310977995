"""The whole pipeline's effect in one process: per-serial state, the catalog and a global clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import schemas
from lifecycle.replay.sharing import SharedValues
from lifecycle.replay.ticks import DueMoments
from lifecycle.rules import (
    Outcome,
    Policy,
    Release,
    SerialState,
    apply_event,
    catalog_from_releases,
    release_from_event,
)
from lifecycle.rules.calendar import iso_instant
from lifecycle.rules.engine import advance, event_time, next_due
from lifecycle.rules.model import Catalog


class Replay:
    """Events fed in file order; time passes with them, firing what falls due for each serial on the way."""

    def __init__(self, policy: Policy, on_notice: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.policy = policy
        self.on_notice = on_notice  # None keeps the notices in `self.notices`
        self.notice_count = 0
        self.states: dict[str, SerialState] = {}
        self.releases: set[Release] = set()
        self.catalog: Catalog = {}
        self.clock: datetime | None = None
        self.notices: list[dict[str, Any]] = []
        self.case_decisions: list[dict[str, Any]] = []
        self.rejected: list[dict[str, Any]] = []
        self.events = 0
        self.lines = 0  # lines read, blank ones too (see `command.run_replay`)
        self._due = DueMoments()
        # The serials whose snapshots name a family, each listed when its family first or newly shows there (a list:
        # an entry costs an eighth of a set's; a serial listed twice is looked at once, see `_record_release`).
        self._serials_by_family: dict[str, list[str]] = {}
        self._held_lines: dict[str, int | None] = {}  # the line of each event held now, for its refusal
        self._shared = SharedValues()  # one copy of each repeated value of the events kept

    def feed_line(self, line: str, number: int) -> None:
        """Decode one JSON line and apply it; a bad line is rejected with its reason."""
        self.events += 1
        try:
            event = schemas.decode_event(line)
        except schemas.InvalidMessage as exc:
            self.rejected.append({"line": number, "event_id": _event_id_of(line), "reason": str(exc)})
            return
        self.feed(self._share(event), number)

    def _share(self, event: dict[str, Any]) -> dict[str, Any]:
        """The event with its repeated values, and its serial, as one shared copy each."""
        event = self._shared.share(event)
        serial = event.get("serial")
        state = self.states.get(serial) if isinstance(serial, str) else None
        if state is not None:
            event["serial"] = state.serial
            # A serial's later events name the account its purchase did: one copy of it, not one per event.
            entitlement = state.fold.entitlement if state.fold is not None else None
            if entitlement is not None and event.get("account_id") == entitlement.account_id:
                event["account_id"] = entitlement.account_id
        return event

    def feed(self, event: dict[str, Any], number: int | None = None) -> None:
        """Advance the clock to the event, then apply it (a release updates the catalog)."""
        self.advance_to(event_time(event))
        if event["type"] == "release":
            self._record_release(release_from_event(event))
            return
        self._apply(event, number)

    def advance_to(self, instant: datetime) -> None:
        """Move the global clock forward, firing what falls due on the way."""
        if self.clock is not None and instant <= self.clock:
            return
        if self._due.any_by(instant):
            for due, serial in self._due.due_by(instant):
                self._take(serial, advance(self.states[serial], due, self.catalog, self.policy), None)
        self.clock = instant

    def _apply(self, event: dict[str, Any], number: int | None) -> None:
        clock = self.clock
        assert clock is not None
        serial = str(event["serial"])
        # An event arrives when the replay's clock says: a hold period counts from there.
        outcome = apply_event(self.states.get(serial), event, clock, self.catalog, self.policy, clock)
        if outcome.rejection is not None:
            self.rejected.append({"line": number, "event_id": event["event_id"], "reason": outcome.rejection})
        elif outcome.holds_changed and outcome.state is not None and _holds(outcome.state, event["event_id"]):
            self._held_lines[event["event_id"]] = number
        self._take(serial, outcome, number)

    def _take(self, serial: str, outcome: Outcome, number: int | None) -> None:
        """Keep the serial's new state and what it sent; derived events (upgrade grants) go on to their serials."""
        state = outcome.state
        if state is None:
            return
        for event, reason in outcome.refused:  # accepted earlier, refused now (R14a)
            line = self._held_lines.pop(event["event_id"], None)
            self.rejected.append({"line": line, "event_id": event["event_id"], "reason": reason})
        before = self.states.get(serial)
        self.states[serial] = state
        if outcome.notices:
            self.notice_count += len(outcome.notices)
            if self.on_notice is None:
                self.notices.extend(outcome.notices)
            else:
                for notice in outcome.notices:
                    self.on_notice(notice)
        if outcome.decisions:
            self.case_decisions.extend(outcome.decisions)
        family = _published_family(state) if outcome.revised else None
        if family is not None and (before is None or _published_family(before) != family):
            self._serials_by_family.setdefault(family, []).append(serial)
        self._due.schedule(serial, next_due(state, self.catalog, self.policy))
        for derived in outcome.derived:  # time passing may derive them too, as the worker's ticks do
            self._apply(derived, number)

    def _record_release(self, release: Release) -> None:
        if release in self.releases:
            return
        self.releases.add(release)
        self.catalog = catalog_from_releases(self.releases)
        for serial in sorted(set(self._serials_by_family.get(release.family, ()))):
            self._due.schedule(serial, next_due(self.states[serial], self.catalog, self.policy))

    def snapshots(self) -> Iterator[dict[str, Any]]:
        """The current snapshot of every serial that has one, by serial."""
        states = self.states
        return (snapshot for serial in sorted(states) if (snapshot := states[serial].snapshot) is not None)

    def held(self) -> Iterator[dict[str, Any]]:
        """The events still waiting for their serial's purchase or registration, by serial."""
        return (
            {"serial": serial, **hold.document()}
            for serial in sorted(self.states)
            for hold in self.states[serial].holds
        )

    def document(self) -> dict[str, Any]:
        """The replay's result as docs/architecture.md (`lifecycle replay`) gives it."""
        return {
            "as_of": iso_instant(self.clock) if self.clock else None,
            "entitlements": list(self.snapshots()),
            "notices": self.notices,
            "rejected": self.rejected,
            "held": list(self.held()),
            "case_decisions": self.case_decisions,
        }


def _published_family(state: SerialState) -> str | None:
    """The family of the state's published snapshot (listed when it was published); None: none or unknown."""
    fold = state.fold
    if state.revision == 0 or state.published is not None or fold is None or fold.entitlement is None:
        return None
    return str(fold.entitlement.product["family"])


def _holds(state: SerialState, event_id: str) -> bool:
    return any(hold.event_id == event_id for hold in state.holds)


def _event_id_of(line: str) -> str | None:
    try:
        document = schemas.decode_object(line)
    except schemas.InvalidMessage:
        return None
    value = document.get("event_id")
    return value if isinstance(value, str) else None
