"""Apply an event or the passage of time to one serial's state (the functional core's entry points).

A serial's entitlement is the fold of its accepted events in event-time order, advanced to its clock,
so events that arrive out of order converge to what in-order processing gives (R14). Notices and
derived events are sent once: their deterministic ids are remembered in the state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lifecycle.rules.calendar import day_start, iso_instant
from lifecycle.rules.cases import on_case
from lifecycle.rules.fold import Decision, Fold
from lifecycle.rules.model import Catalog, Event, Hold, Notice, Outcome, Policy, SerialState, Snapshot, evolve
from lifecycle.rules.purchase import on_purchase, on_upgrade_grant
from lifecycle.rules.registration import on_registration
from lifecycle.rules.renewal import on_renewal
from lifecycle.rules.timeflow import advance_fold, next_transition_at
from lifecycle.rules.upgrade import on_upgrade
from schemas import parse_instant

# Events at the same instant apply in the order a customer's journey has them.
_RANK = {"purchase": 0, "upgrade_grant": 0, "registration": 1, "renewal": 2, "upgrade": 3, "case_opened": 4}


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
    if kind == "case_opened":
        return on_case(fold, event)
    return Decision(fold, rejection=f"type: {kind!r} events do not apply to a serial")


def _stamp(before: Fold, decision: Decision, event: Event) -> Fold:
    """Mark the entitlement with the event that last changed it."""
    fold = decision.fold
    if fold.entitlement is None or fold.entitlement == before.entitlement:
        return fold
    stamped = evolve(fold.entitlement, updated_at=iso_instant(event_time(event)), last_event_id=str(event["event_id"]))
    return evolve(fold, entitlement=stamped)


@dataclass
class _Step:
    """What folding one event gave: the new fold and everything it sends or refuses."""

    fold: Fold
    notices: list[Notice] = field(default_factory=list)
    derived: list[dict[str, Any]] = field(default_factory=list)
    rejection: str | None = None
    refused: list[tuple[Event, str]] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)


def _fold_one(fold: Fold, event: Event, catalog: Catalog, policy: Policy) -> _Step:
    fold, notices = advance_fold(fold, event_time(event), catalog, policy)
    decision = _step(fold, event, catalog)
    if decision.waits:
        return _Step(evolve(fold, held=(*fold.held, event)), notices)
    if decision.rejection is not None:
        return _Step(fold, notices, rejection=decision.rejection)
    step = _Step(_stamp(fold, decision, event), [*notices, *decision.notices], list(decision.derived))
    step.decisions.extend(decision.decisions)
    if step.fold.held and step.fold.entitlement != fold.entitlement:
        _release(step, event, catalog)
    return step


def _release(step: _Step, trigger: Event, catalog: Catalog) -> None:
    """Apply the held events that what `trigger` brought lets go on (R14a), in event-time order."""
    waiting = list(step.fold.held)
    progress = True
    while waiting and progress:
        progress, still = False, []
        for event in waiting:
            before = step.fold
            decision = _step(before, event, catalog)
            if decision.waits:
                still.append(event)
            elif decision.rejection is not None:
                step.refused.append((event, decision.rejection))
            else:
                progress = True
                step.fold = _stamp(before, decision, trigger)
                step.notices.extend(decision.notices)
                step.derived.extend(decision.derived)
                step.decisions.extend(decision.decisions)
        waiting = still
    step.fold = evolve(step.fold, held=tuple(waiting))


def _fold_all(serial: str, history: tuple[Event, ...], until: datetime, catalog: Catalog, policy: Policy) -> _Step:
    """Fold a serial's whole history; an event that an earlier one, come late, makes break a rule is refused."""
    total = _Step(Fold(serial))
    for event in history:
        step = _fold_one(total.fold, event, catalog, policy)
        if step.rejection is not None:
            total.refused.append((event, step.rejection))
        total.fold = step.fold
        total.notices.extend(step.notices)
        total.derived.extend(step.derived)
        total.refused.extend(step.refused)
        total.decisions.extend(step.decisions)
    total.fold, sent = advance_fold(total.fold, until, catalog, policy)
    total.notices.extend(sent)
    return total


def _holds(state: SerialState, fold: Fold, received_at: datetime | None) -> tuple[Hold, ...]:
    """The fold's held events with their arrival: kept from before, or now for a newly held one."""
    known = {hold.event_id: hold.since for hold in state.holds}
    arrived = received_at or datetime.min.replace(tzinfo=UTC)
    return tuple(
        Hold(str(e["event_id"]), str(e["type"]), str(e["occurred_at"]), known.get(str(e["event_id"]), arrived))
        for e in fold.held
    )


def _expired(holds: tuple[Hold, ...], clock: datetime | None, policy: Policy) -> set[str]:
    """Ids of the holds whose period is over at `clock`."""
    if clock is None:
        return set()
    return {hold.event_id for hold in holds if hold.ends_at(policy.hold_days) <= clock}


def _why_expired(fold: Fold, policy: Policy) -> str:
    if fold.entitlement is None:
        return f"no purchase for serial {fold.serial} after {policy.hold_days} days"
    return f"serial {fold.serial} was not registered within {policy.hold_days} days"


def _publish(
    state: SerialState,
    step: _Step,
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
    holds = _holds(state, step.fold, received_at)
    # Holds run out as time passes (a tick), never on an event's arrival: one sent back waits its period again.
    expired = _expired(holds, step.fold.clock, policy) if received_at is None else set()
    refused = [(e, why) for e, why in step.refused if f"refused:{e['event_id']}" not in state.emitted]
    emitted = state.emitted | {f"refused:{e['event_id']}" for e, _ in refused}
    if expired:
        # R14a: what waited too long is refused and leaves the history; the rest is folded again.
        reason = _why_expired(step.fold, policy)
        refused += [(event, reason) for event in step.fold.held if event["event_id"] in expired]
        history = tuple(e for e in history if e["event_id"] not in expired)
        again = _fold_all(state.serial, history, step.fold.clock or datetime.min.replace(tzinfo=UTC), catalog, policy)
        step = _Step(
            again.fold,
            [*step.notices, *again.notices],
            [*step.derived, *again.derived],
            decisions=[*step.decisions, *again.decisions],
        )
        holds = tuple(hold for hold in holds if hold.event_id not in expired)
    fold = step.fold
    fresh_notices = tuple({n["notice_id"]: n for n in step.notices if n["notice_id"] not in state.emitted}.values())
    snapshot: Snapshot | None = None
    revision = state.revision
    if fold.entitlement is not None and (state.fold is None or fold.entitlement != state.fold.entitlement):
        candidate = fold.entitlement.snapshot(state.revision)
        if candidate != state.snapshot:
            revision += 1
            snapshot = {**candidate, "revision": revision}
    # A derived event says which revision of this serial it was made from: the newest one counts (R9).
    fresh_derived = tuple(
        {
            d["event_id"]: {**d, "source_revision": revision}
            for d in step.derived
            if d["event_id"] not in state.emitted
        }.values()
    )
    fresh_decisions = tuple(
        {d["decision_id"]: d for d in step.decisions if d["decision_id"] not in state.emitted}.values()
    )
    if fresh_notices or fresh_derived or fresh_decisions:
        emitted = emitted | {n["notice_id"] for n in fresh_notices} | {d["event_id"] for d in fresh_derived}
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


def current_fold(state: SerialState, catalog: Catalog, policy: Policy) -> Fold:
    """The state's fold, recomputed when the state was loaded from storage."""
    if isinstance(state.fold, Fold):
        return state.fold
    if not state.history:
        return Fold(state.serial, clock=state.clock)
    until = state.clock or event_time(state.history[-1])
    return _fold_all(state.serial, state.history, until, catalog, policy).fold


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
        step = _fold_one(current_fold(state, catalog, policy), event, catalog, policy)
        if step.rejection is not None:
            return Outcome(state if state.history else None, rejection=step.rejection)
        step.fold, later = advance_fold(step.fold, until, catalog, policy)
        step.notices.extend(later)
        return _publish(state, step, (*state.history, event), catalog, policy, received_at or until)
    # Out of order: decide against the events before it, then refold the whole history.
    earlier = tuple(e for e in state.history if event_order(e) < key)
    before = _fold_all(state.serial, earlier, event_time(event), catalog, policy).fold
    rejection = _step(before, event, catalog).rejection
    if rejection is not None:
        return Outcome(state, rejection=rejection)
    history = tuple(sorted((*state.history, event), key=event_order))
    step = _fold_all(state.serial, history, until, catalog, policy)
    return _publish(state, step, history, catalog, policy, received_at or until)


def advance(state: SerialState, clock: datetime, catalog: Catalog, policy: Policy) -> Outcome:
    """Let time pass for one serial up to `clock`: reminders, expiries and version ends fall due."""
    if not state.history:
        return Outcome(None)  # nothing is known of this serial: time changes nothing
    fold, notices = advance_fold(current_fold(state, catalog, policy), clock, catalog, policy)
    return _publish(state, _Step(fold, notices), state.history, catalog, policy)


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
