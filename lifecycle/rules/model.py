"""The values the rules work on: policy, release catalog, per-serial state and outcomes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from operator import itemgetter
from typing import Any, NamedTuple

from lifecycle.rules.calendar import iso_instant
from lifecycle.rules.sent import NOTHING_SENT
from lifecycle.rules.values import value

Event = Mapping[str, Any]
"""A validated contract document (see `schemas.decode_event`)."""

Snapshot = dict[str, Any]
"""An entitlement snapshot, the value of the entitlements topic."""

Notice = dict[str, Any]
"""A notice, the value of the notices topic."""


@dataclass(frozen=True)
class Policy:
    """Business settings that are not facts of any event: when reminders go out, per program."""

    reminder_lead_days: Mapping[str, tuple[int, ...]] = field(
        default_factory=lambda: {"advantage_premier": (30, 7, 1), "home_subscription": (30, 7, 1)}
    )
    # R14a: how long an event waits for its serial's purchase (counted from its arrival) before it is refused.
    hold_days: int = 30
    # R14: events this many days older than a serial's newest event are folded in for good (the reorder window).
    # Wide, so a backfill whose topics run years apart still converges; `kept_events` is what bounds the state.
    reorder_window_days: int = 3650
    # R14: at most this many of a serial's events are kept for refolding; older ones are folded in for good.
    kept_events: int = 64

    @classmethod
    def with_lead_days(
        cls, lead_days: tuple[int, ...], hold_days: int = 30, reorder_window_days: int = 3650, kept_events: int = 64
    ) -> Policy:
        """The same lead days for every program that expires."""
        ordered = tuple(sorted(set(lead_days), reverse=True))
        programs = {"advantage_premier": ordered, "home_subscription": ordered}
        return cls(programs, hold_days, reorder_window_days, kept_events)

    def lead_days(self, program: str) -> tuple[int, ...]:
        return self.reminder_lead_days.get(program, ())


@dataclass(frozen=True, order=True)
class Release:
    """One released version of a product family."""

    family: str
    version: str
    released_on: date


Catalog = Mapping[str, tuple[Release, ...]]
"""Product family -> its known releases (any order)."""


def hold_ends_at(since: datetime, hold_days: int) -> datetime:
    """When a hold that began at `since` runs out: the start of the UTC day `hold_days` after the day it began."""
    day = since.astimezone(UTC).date() + timedelta(days=hold_days)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@value
class Hold:
    """An accepted event that waits for its serial's purchase or registration (R14a)."""

    event_id: str
    type: str
    occurred_at: str
    since: datetime  # when it arrived: the hold period counts from here

    def ends_at(self, hold_days: int) -> datetime:
        """When the hold runs out."""
        return hold_ends_at(self.since, hold_days)

    def document(self) -> dict[str, str]:
        """The hold as an item of the holds document."""
        since = iso_instant(self.since)
        return {"event_id": self.event_id, "type": self.type, "occurred_at": self.occurred_at, "since": since}


OrderKey = tuple[datetime, int, str]
"""Where an event falls in a serial's event-time order (see `folding.event_order`)."""


@value
class SerialState:
    """Everything the processor keeps for one serial (the value of its table): bounded, whatever its history.

    The entitlement is the fold of the serial's accepted events in event-time order. Events up to `through`
    are folded into `base` for good; the later ones (`window`, in event-time order) are kept, so one that
    arrives late within the reorder window is folded in its place (R14).
    """

    serial: str
    # Accepted inbound events after `through`, in event-time order (held ones too): what a refold starts from.
    window: tuple[Event, ...] = ()
    # How far time has been advanced for this serial (event time, or a tick's due date).
    clock: datetime | None = None
    revision: int = 0
    # The current snapshot as stored or loaded; None: it is the fold's entitlement's snapshot at `revision`,
    # built when asked (see `snapshot`), so a state does not carry a second copy of its entitlement.
    published: Snapshot | None = field(default=None, compare=False, repr=False)
    # Ids of the notices, derived events, decisions and refusals already sent, each with the UTC day (as an
    # ordinal) it was sent on: a refold never sends one twice. Those sent before `through` are let go.
    emitted: Mapping[str, int] = field(default_factory=lambda: NOTHING_SENT)
    # The events of `window` (or of `base`) that wait for the purchase (or registration) they need (R14a).
    holds: tuple[Hold, ...] = ()
    # The current fold (a `Fold`, the one behind `snapshot`); None: fold `window` on `base` when needed.
    fold: Any = field(default=None, compare=False, repr=False)
    # The fold of the events folded in for good (a `Fold`), and the order key of the last of them.
    base: Any = None
    through: OrderKey | None = None
    # Ids of the latest events folded in for good, so a redelivery of one is still known as applied (R13).
    folded_ids: tuple[str, ...] = ()
    # The ids of `window` and `folded_ids` (see `known_ids`); None: work them out when asked.
    ids: frozenset[str] | None = field(default=None, compare=False, repr=False)

    @property
    def snapshot(self) -> Snapshot | None:
        """The serial's current entitlement snapshot, the last one published (None before the first)."""
        if self.published is not None or self.revision == 0 or self.fold is None or self.fold.entitlement is None:
            return self.published
        snapshot: Snapshot = self.fold.entitlement.snapshot(self.revision)
        return snapshot

    def applied(self, event_id: str) -> bool:
        """Whether this event was applied to the serial before (R13): the one place that decides it."""
        if self.ids is not None:
            return event_id in self.ids
        if event_id in self.folded_ids:
            return True
        # A loop, not any(): a few events, and a generator costs more than their look-ups.
        for event in self.window:  # noqa: SIM110
            if event["event_id"] == event_id:
                return True
        return False


def known_ids(window: tuple[Event, ...], folded_ids: tuple[str, ...]) -> frozenset[str]:
    """The ids of the events a state knows as applied: those kept, and the latest folded in for good."""
    return frozenset([*folded_ids, *map(_event_id, window)])


_event_id = itemgetter("event_id")


class Outcome(NamedTuple):
    """What applying one event (or the passage of time) decided."""

    # A named tuple rather than a frozen dataclass: as immutable, and made in a fifth of the time (one or two
    # per event).
    state: SerialState | None
    revised: bool = False  # `state` has a new revision: its snapshot changed, or it sent a grant (R9)
    notices: tuple[Notice, ...] = ()
    derived: tuple[dict[str, Any], ...] = ()  # events for other serials (an upgrade's grant)
    rejection: str | None = None
    # Events accepted earlier and refused now (a held event that breaks a rule once its purchase is known,
    # or that waited longer than the hold period), with the reason: each refusal is dead-lettered once.
    refused: tuple[tuple[Event, str], ...] = ()
    holds_changed: bool = False  # the state's holds differ from before: publish them
    decisions: tuple[dict[str, Any], ...] = ()  # support case decisions not published before (R16)

    @property
    def snapshot(self) -> Snapshot | None:
        """The new entitlement snapshot, only when it changed: built when asked (the replay never asks)."""
        return self.state.snapshot if self.revised and self.state is not None else None
