"""Apply an event or the passage of time to one serial's state (the functional core's entry points).

A serial's entitlement is the fold of its accepted events in event-time order, advanced to its clock,
so events that arrive out of order converge to what in-order processing gives (R14); an event that needs
a purchase or registration not there yet is held until it is (R14a). Notices, derived events and case
decisions are sent once: their deterministic ids are remembered in the state.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lifecycle.rules.fold import Fold
from lifecycle.rules.folding import Step, event_order, event_time, fold_all, fold_one, step_of
from lifecycle.rules.holds import expired_holds, holds_of, why_expired
from lifecycle.rules.model import Catalog, Event, Outcome, Policy, SerialState, Snapshot, evolve
from lifecycle.rules.timeflow import advance_fold, next_transition_at

__all__ = ["advance", "apply_event", "current_fold", "event_order", "event_time", "next_due"]


def _publish(
    state: SerialState,
    step: Step,
    history: tuple[Event, ...],
    catalog: Catalog,
    policy: Policy,
    received_at: datetime | None = None,  # None: time passed (no event arrived)
) -> Outcome:
    """The outcome of a new fold: a snapshot when it changed, and whatever was not sent or refused before.

    An accepted event that the fold refuses (a held event that breaks a rule once its purchase is known, or one
    that an earlier event, come late, makes break a rule) stays in the history, so every arrival order folds
    the same; it is refused once. A hold that ran out leaves the history: sent again, the event is new.
    """
    holds = holds_of(state, step.fold, received_at)
    # Holds run out as time passes (a tick), never on an event's arrival: one sent back waits its period again.
    expired = expired_holds(holds, step.fold.clock, policy) if received_at is None else set()
    refused = [(e, why) for e, why in step.refused if f"refused:{e['event_id']}" not in state.emitted]
    emitted = state.emitted | {f"refused:{e['event_id']}" for e, _ in refused}
    if expired and step.fold.clock is not None:
        # R14a: what waited too long is refused and leaves the history; the rest is folded again.
        reason = why_expired(step.fold, policy)
        refused += [(event, reason) for event in step.fold.held if event["event_id"] in expired]
        history = tuple(e for e in history if e["event_id"] not in expired)
        again = fold_all(state.serial, history, step.fold.clock, catalog, policy)
        step = Step(
            again.fold,
            [*step.notices, *again.notices],
            [*step.derived, *again.derived],
            decisions=[*step.decisions, *again.decisions],
        )
        holds = tuple(hold for hold in holds if hold.event_id not in expired)
    fold = step.fold
    fresh_notices = _unsent(step.notices, "notice_id", state.emitted)
    snapshot: Snapshot | None = None
    revision = state.revision
    if fold.entitlement is not None and (state.fold is None or fold.entitlement != state.fold.entitlement):
        candidate = fold.entitlement.snapshot(state.revision)
        if candidate != state.snapshot:
            revision += 1
            snapshot = {**candidate, "revision": revision}
    # A derived event says which revision of this serial it was made from: the newest one counts (R9).
    fresh_derived = tuple({**d, "source_revision": revision} for d in _unsent(step.derived, "event_id", state.emitted))
    fresh_decisions = _unsent(step.decisions, "decision_id", state.emitted)
    emitted |= {n["notice_id"] for n in fresh_notices} | {d["event_id"] for d in fresh_derived}
    emitted |= {d["decision_id"] for d in fresh_decisions}
    new_state = evolve(
        state,
        history=history,
        clock=fold.clock,
        revision=revision,
        snapshot=snapshot if snapshot is not None else state.snapshot,
        emitted=emitted,
        holds=holds,
        fold=fold,
    )
    changed = holds != state.holds
    return Outcome(new_state, snapshot, fresh_notices, fresh_derived, None, tuple(refused), changed, fresh_decisions)


def _unsent(items: list[dict[str, Any]], id_field: str, emitted: frozenset[str]) -> tuple[dict[str, Any], ...]:
    """The items whose id was not sent before, each once, in order."""
    return tuple({item[id_field]: item for item in items if item[id_field] not in emitted}.values())


def current_fold(state: SerialState, catalog: Catalog, policy: Policy) -> Fold:
    """The state's fold, recomputed when the state was loaded from storage."""
    if isinstance(state.fold, Fold):
        return state.fold
    if not state.history:
        return Fold(state.serial, clock=state.clock)
    until = state.clock or event_time(state.history[-1])
    return fold_all(state.serial, state.history, until, catalog, policy).fold


def apply_event(
    state: SerialState | None,
    event: Event,
    clock: datetime,
    catalog: Catalog,
    policy: Policy,
    received_at: datetime | None = None,
) -> Outcome:
    """Apply one validated event for `event["serial"]` at event time `clock`, arrived at `received_at`."""
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
        step = fold_one(current_fold(state, catalog, policy), event, catalog, policy)
        if step.rejection is not None:
            return Outcome(state if state.history else None, rejection=step.rejection)
        step.fold, later = advance_fold(step.fold, until, catalog, policy)
        step.notices.extend(later)
        return _publish(state, step, (*state.history, event), catalog, policy, received_at or until)
    # Out of order: decide against the events before it, then refold the whole history.
    earlier = tuple(e for e in state.history if event_order(e) < key)
    before = fold_all(state.serial, earlier, event_time(event), catalog, policy).fold
    rejection = step_of(before, event, catalog).rejection
    if rejection is not None:
        return Outcome(state, rejection=rejection)
    history = tuple(sorted((*state.history, event), key=event_order))
    step = fold_all(state.serial, history, until, catalog, policy)
    return _publish(state, step, history, catalog, policy, received_at or until)


def advance(state: SerialState, clock: datetime, catalog: Catalog, policy: Policy) -> Outcome:
    """Let time pass for one serial up to `clock`: reminders, expiries and version ends fall due."""
    if not state.history:
        return Outcome(None)  # nothing is known of this serial: time changes nothing
    fold, notices = advance_fold(current_fold(state, catalog, policy), clock, catalog, policy)
    return _publish(state, Step(fold, notices), state.history, catalog, policy)


def next_due(state: SerialState, catalog: Catalog, policy: Policy) -> datetime | None:
    """When something next falls due for this serial, if anything does."""
    fold = current_fold(state, catalog, policy)
    if fold.clock is None:
        return None
    moments = [hold.ends_at(policy.hold_days) for hold in state.holds]
    if fold.entitlement is not None and (
        transition := next_transition_at(fold.entitlement, fold.clock, catalog, policy)
    ):
        moments.append(transition)
    return max(min(moments), fold.clock) if moments else None
