"""Apply an event or the passage of time to one serial's state (the functional core's entry points).

A serial's entitlement is the fold of its accepted events in event-time order, advanced to its clock,
so events that arrive out of order converge to what in-order processing gives (R14). Notices and
derived events are sent once: their deterministic ids are remembered in the state.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lifecycle.rules.calendar import day_start, iso_instant
from lifecycle.rules.fold import Decision, Fold
from lifecycle.rules.model import Catalog, Event, Notice, Outcome, Policy, SerialState, Snapshot, evolve
from lifecycle.rules.purchase import on_purchase, on_upgrade_grant
from lifecycle.rules.registration import on_registration
from lifecycle.rules.renewal import on_renewal
from lifecycle.rules.timeflow import advance_fold, next_transition_at
from lifecycle.rules.upgrade import on_upgrade
from schemas import parse_instant

# Events at the same instant apply in the order a customer's journey has them.
_RANK = {"purchase": 0, "upgrade_grant": 0, "registration": 1, "renewal": 2, "upgrade": 3}


def event_time(event: Event) -> datetime:
    """The instant an event happened (a tick: the start of its due day)."""
    if event["type"] == "tick":
        return day_start(datetime.fromisoformat(event["due_on"]).date())
    return parse_instant(event["occurred_at"])


def event_order(event: Event) -> tuple[datetime, int, str]:
    """The order events apply in: event time, then a journey's natural order, then id."""
    return event_time(event), _RANK.get(event["type"], 9), str(event["event_id"])


def _step(fold: Fold, event: Event, catalog: Catalog) -> Decision:
    kind = event["type"]
    if kind == "purchase":
        return on_purchase(fold, event, catalog)
    if kind == "registration":
        return on_registration(fold, event, catalog)
    if kind == "renewal":
        return on_renewal(fold, event)
    if kind == "upgrade":
        return on_upgrade(fold, event)
    if kind == "upgrade_grant":
        return on_upgrade_grant(fold, event)
    return Decision(fold, rejection=f"type: {kind!r} events do not apply to a serial")


def _stamp(before: Fold, decision: Decision, event: Event) -> Fold:
    """Mark the entitlement with the event that last changed it."""
    fold = decision.fold
    if fold.entitlement is None or fold.entitlement == before.entitlement:
        return fold
    stamped = evolve(fold.entitlement, updated_at=iso_instant(event_time(event)), last_event_id=str(event["event_id"]))
    return evolve(fold, entitlement=stamped)


def _fold_one(
    fold: Fold, event: Event, catalog: Catalog, policy: Policy
) -> tuple[Fold, list[Notice], list[dict[str, Any]], str | None]:
    fold, notices = advance_fold(fold, event_time(event), catalog, policy)
    decision = _step(fold, event, catalog)
    if decision.rejection is not None:
        return fold, notices, [], decision.rejection
    return _stamp(fold, decision, event), [*notices, *decision.notices], list(decision.derived), None


def _fold_all(
    serial: str, history: tuple[Event, ...], until: datetime, catalog: Catalog, policy: Policy
) -> tuple[Fold, list[Notice], list[dict[str, Any]]]:
    """Fold a serial's whole history; events that no longer apply are passed over."""
    fold, notices, derived = Fold(serial), [], []
    for event in history:
        fold, sent, made, _ = _fold_one(fold, event, catalog, policy)
        notices.extend(sent)
        derived.extend(made)
    fold, sent = advance_fold(fold, until, catalog, policy)
    return fold, [*notices, *sent], derived


def _publish(
    state: SerialState, fold: Fold, notices: list[Notice], derived: list[dict[str, Any]], history: tuple[Event, ...]
) -> Outcome:
    """The outcome of a new fold: a snapshot when it changed, and whatever was not sent before."""
    fresh_notices = tuple(n for n in notices if n["notice_id"] not in state.emitted)
    fresh_derived = tuple(d for d in derived if d["event_id"] not in state.emitted)
    emitted = state.emitted
    if fresh_notices or fresh_derived:
        emitted = emitted | {n["notice_id"] for n in fresh_notices} | {d["event_id"] for d in fresh_derived}
    snapshot: Snapshot | None = None
    revision = state.revision
    if fold.entitlement is not None and (state.fold is None or fold.entitlement != state.fold.entitlement):
        candidate = fold.entitlement.snapshot(state.revision)
        if candidate != state.snapshot:
            revision += 1
            snapshot = {**candidate, "revision": revision}
    new_state = evolve(
        state,
        history=history,
        clock=fold.clock,
        revision=revision,
        snapshot=snapshot if snapshot is not None else state.snapshot,
        emitted=emitted,
        fold=fold,
    )
    return Outcome(new_state, snapshot, fresh_notices, fresh_derived)


def current_fold(state: SerialState, catalog: Catalog, policy: Policy) -> Fold:
    """The state's fold, recomputed when the state was loaded from storage."""
    if isinstance(state.fold, Fold):
        return state.fold
    if not state.history:
        return Fold(state.serial, clock=state.clock)
    until = state.clock or event_time(state.history[-1])
    fold, _, _ = _fold_all(state.serial, state.history, until, catalog, policy)
    return fold


def apply_event(state: SerialState | None, event: Event, clock: datetime, catalog: Catalog, policy: Policy) -> Outcome:
    """Apply one validated event for `event["serial"]` at event time `clock`."""
    state = state or SerialState(str(event["serial"]))
    if event["type"] == "tick":
        return advance(state, max(clock, event_time(event)), catalog, policy)
    if any(seen["event_id"] == event["event_id"] for seen in state.history):
        return Outcome(state)  # R13: already applied
    until = max(clock, state.clock) if state.clock else clock
    key = event_order(event)
    newest = not state.history or (
        key >= event_order(state.history[-1]) and (state.clock is None or event_time(event) >= state.clock)
    )
    if newest:
        # The usual case: the newest event for this serial, applied on top of the current fold.
        fold, notices, derived, rejection = _fold_one(current_fold(state, catalog, policy), event, catalog, policy)
        if rejection is not None:
            return Outcome(state if state.history else None, rejection=rejection)
        fold, later = advance_fold(fold, until, catalog, policy)
        return _publish(state, fold, [*notices, *later], derived, (*state.history, event))
    # Out of order: decide against the events before it, then refold the whole history.
    earlier = tuple(e for e in state.history if event_order(e) < key)
    before, _, _ = _fold_all(state.serial, earlier, event_time(event), catalog, policy)
    rejection = _step(before, event, catalog).rejection
    if rejection is not None:
        return Outcome(state, rejection=rejection)
    history = tuple(sorted((*state.history, event), key=event_order))
    fold, notices, derived = _fold_all(state.serial, history, until, catalog, policy)
    return _publish(state, fold, notices, derived, history)


def advance(state: SerialState, clock: datetime, catalog: Catalog, policy: Policy) -> Outcome:
    """Let time pass for one serial up to `clock`: reminders, expiries and version ends fall due."""
    if not state.history:
        return Outcome(None)  # nothing is known of this serial: time changes nothing
    fold, notices = advance_fold(current_fold(state, catalog, policy), clock, catalog, policy)
    return _publish(state, fold, notices, [], state.history)


def next_due(state: SerialState, catalog: Catalog, policy: Policy) -> datetime | None:
    """When something next falls due for this serial, if anything does."""
    fold = current_fold(state, catalog, policy)
    if fold.entitlement is None or fold.clock is None:
        return None
    return next_transition_at(fold.entitlement, fold.clock, catalog, policy)
