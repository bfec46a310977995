"""Apply an event or the passage of time to one serial's state (the functional core's entry points).

A serial's entitlement is the fold of its accepted events in event-time order, advanced to its clock,
so events that arrive out of order within the reorder window converge to what in-order processing gives
(R14); an event that needs a purchase or registration not there yet is held until it is (R14a). Notices,
derived events and case decisions are sent once: their deterministic ids are remembered in the state.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from operator import itemgetter
from typing import Any

from lifecycle.rules.calendar import day_number
from lifecycle.rules.entitlement import shown
from lifecycle.rules.fold import Fold
from lifecycle.rules.folding import Step, add_step, event_order, event_time, fold_all, fold_on, fold_one, fold_until
from lifecycle.rules.holds import expired_holds, holds_of, why_expired
from lifecycle.rules.model import Catalog, Event, Outcome, Policy, SerialState, Snapshot, known_ids
from lifecycle.rules.sent import add_sent
from lifecycle.rules.timeflow import advance_fold, next_transition_at
from lifecycle.rules.values import evolve
from lifecycle.rules.window import Kept, settle, too_old

__all__ = ["advance", "apply_event", "current_fold", "event_order", "event_time", "next_due"]


def _publish(
    state: SerialState,
    step: Step,
    window: tuple[Event, ...],
    catalog: Catalog,
    policy: Policy,
    received_at: datetime | None = None,  # None: time passed (no event arrived)
) -> Outcome:
    """The outcome of a new fold: a snapshot when it changed, and whatever was not sent or refused before.

    An accepted event that the fold refuses (a held event that breaks a rule once its purchase is known, or one
    that an earlier event, come late, makes break a rule) stays in the window, so every arrival order folds
    the same; it is refused once. A hold that ran out leaves the state: sent again, the event is new.
    """
    fold = step.fold
    holds = holds_of(state, fold, received_at) if fold.held else ()
    # Holds run out as time passes (a tick), never on an event's arrival: one sent back waits its period again.
    expired = expired_holds(holds, fold.clock, policy) if holds and received_at is None else None
    sent = state.emitted
    refused = [(e, why) for e, why in step.refused if f"refused:{e['event_id']}" not in sent] if step.refused else []
    new_ids = [f"refused:{e['event_id']}" for e, _ in refused] if refused else []
    base, folded_ids = state.base, state.folded_ids
    if expired and fold.clock is not None:
        # R14a: what waited too long is refused and leaves the state. A held event changed nothing but the
        # held list, so dropping it there is what folding again without it gives.
        reason = why_expired(fold, policy)
        refused += [(event, reason) for event in fold.held if event["event_id"] in expired]
        window = tuple(e for e in window if e["event_id"] not in expired)
        fold = _without(fold, expired)
        base = _without(base, expired) if base is not None else None
        folded_ids = tuple(i for i in folded_ids if i not in expired)
        holds = tuple(hold for hold in holds if hold.event_id not in expired)
    fresh_notices = _unsent(step.notices, "notice_id", sent)
    revision, published = _published(state, fold)
    revised = revision != state.revision
    # A derived event says which revision of this serial it was made from: the newest one counts (R9).
    fresh_derived: tuple[dict[str, Any], ...] = ()
    if step.derived:
        fresh_derived = tuple({**d, "source_revision": revision} for d in _unsent(step.derived, "event_id", sent))
    fresh_decisions = _unsent(step.decisions, "decision_id", sent)
    if fresh_notices:
        new_ids += map(_notice_id, fresh_notices)
    if fresh_derived:
        new_ids += map(_event_id, fresh_derived)
    if fresh_decisions:
        new_ids += map(_decision_id, fresh_decisions)
    if new_ids:
        sent = _with_sent(sent, new_ids, fold)
    kept = Kept(base, state.through, folded_ids, window, sent)
    if window is not state.window or expired:
        # Time passing alone leaves the window as the last settle left it: nothing more to fold in for good.
        held = frozenset(hold.event_id for hold in holds) if holds else frozenset()
        kept = settle(state.serial, kept, catalog, policy, held)
    # Every field is new or named: made afresh, at a third of the cost of a copy with eleven changes.
    new_state = SerialState(
        serial=state.serial,
        window=kept.window,
        clock=fold.clock,
        revision=revision,
        published=published,
        emitted=kept.emitted,
        holds=holds,
        fold=fold,
        base=kept.base,
        through=kept.through,
        folded_ids=kept.folded_ids,
        ids=_ids(state, kept.window, kept.folded_ids),
    )
    changed = holds != state.holds
    return Outcome(new_state, revised, fresh_notices, fresh_derived, None, tuple(refused), changed, fresh_decisions)


def _with_sent(sent: Mapping[str, int], new_ids: list[str], fold: Fold) -> Mapping[str, int]:
    """The sent ids with `new_ids`, stamped with the day of the fold's clock."""
    return add_sent(sent, new_ids, day_number(fold.clock.date()) if fold.clock is not None else 0)


def _published(state: SerialState, fold: Fold) -> tuple[int, Snapshot | None]:
    """The new fold's revision (one more when its snapshot changed) and the state's `published` value."""
    revision, published = state.revision, state.published
    entitlement = fold.entitlement
    before = state.fold.entitlement if state.fold is not None else None
    if entitlement is not None and (before is None or (entitlement is not before and entitlement != before)):
        if published is None and before is not None:
            changed = shown(entitlement) != shown(before)  # the snapshots compared without building them
        else:
            current = state.snapshot
            changed = current is None or entitlement.snapshot(state.revision) != current
        if changed:
            # The fold's entitlement's snapshot at the new revision: `published` None builds it when asked.
            return revision + 1, None
    elif entitlement is None and published is None:
        published = state.snapshot  # no fold to build it from any more (never so far): keep it as it was
    return revision, published


# Up to this many known ids a state looks them up one by one (`SerialState.applied`) rather than keeping a set.
_IDS_SCANNED = 8


def _ids(state: SerialState, window: tuple[Event, ...], folded_ids: tuple[str, ...]) -> frozenset[str] | None:
    """The known ids of the new state: the old state's when its events are the same (time passed)."""
    if len(window) + len(folded_ids) <= _IDS_SCANNED:
        return None
    if state.ids is not None and window is state.window and folded_ids is state.folded_ids:
        return state.ids
    return known_ids(window, folded_ids)


def _without(fold: Fold, event_ids: set[str]) -> Fold:
    held = tuple(e for e in fold.held if e["event_id"] not in event_ids)
    return fold if len(held) == len(fold.held) else evolve(fold, held=held)


def _unsent(items: list[dict[str, Any]], id_field: str, emitted: Any) -> tuple[dict[str, Any], ...]:
    """The items whose id was not sent before, each once, in order."""
    if not items:
        return ()
    if len(items) == 1:  # the usual case: one notice
        return () if items[0][id_field] in emitted else (items[0],)
    return tuple({item[id_field]: item for item in items if item[id_field] not in emitted}.values())


_notice_id, _event_id, _decision_id = itemgetter("notice_id"), itemgetter("event_id"), itemgetter("decision_id")


def _start(state: SerialState) -> Fold:
    """The fold a refold of the window starts from."""
    return state.base if isinstance(state.base, Fold) else Fold(state.serial)


def current_fold(state: SerialState, catalog: Catalog, policy: Policy) -> Fold:
    """The state's fold; folded from the window when the state does not carry it (an older stored format)."""
    if isinstance(state.fold, Fold):
        return state.fold
    if not state.window:
        return evolve(_start(state), clock=state.clock) if state.clock else _start(state)
    until = state.clock or event_time(state.window[-1])
    return fold_all(_start(state), state.window, until, catalog, policy).fold


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
    if state.applied(str(event["event_id"])):
        return Outcome(state)  # R13: already applied
    key = event_order(event)
    if state.through is not None and key <= state.through:
        return Outcome(state, rejection=too_old(state.serial, event, state.through, policy))
    until = max(clock, state.clock) if state.clock else clock
    window = state.window
    newest = (not window or key >= event_order(window[-1])) and (state.clock is None or key[0] >= state.clock)
    if newest:
        # The usual case: the newest event for this serial, applied on top of the current fold.
        step = fold_one(current_fold(state, catalog, policy), event, catalog, policy)
        if step.rejection is not None:
            return Outcome(state if window or state.base is not None else None, rejection=step.rejection)
        step.fold, later = advance_fold(step.fold, until, catalog, policy)
        step.notices.extend(later)
        return _publish(state, step, (*window, event), catalog, policy, received_at or until)
    # Out of order: fold the window again from the base with the event in its place; it is decided against the
    # events before it, and refused (nothing changed) when it breaks a rule there.
    place = next((i for i, kept in enumerate(window) if event_order(kept) > key), len(window))
    step = fold_on(Step(_start(state)), window[:place], catalog, policy)
    arrived = fold_one(step.fold, event, catalog, policy)
    if arrived.rejection is not None:
        return Outcome(state, rejection=arrived.rejection)
    add_step(step, arrived)
    step = fold_until(fold_on(step, window[place:], catalog, policy), until, catalog, policy)
    window = (*window[:place], event, *window[place:])
    return _publish(state, step, window, catalog, policy, received_at or until)


def advance(state: SerialState, clock: datetime, catalog: Catalog, policy: Policy) -> Outcome:
    """Let time pass for one serial up to `clock`: reminders, expiries and version ends fall due."""
    if not state.window and state.base is None:
        return Outcome(None)  # nothing is known of this serial: time changes nothing
    before = current_fold(state, catalog, policy)
    fold, notices = advance_fold(before, clock, catalog, policy)
    unchanged = fold.entitlement is before.entitlement and before is state.fold
    if unchanged and fold.entitlement is not None and not fold.held and not state.holds:
        # Only the clock moved, and perhaps reminders went out: the events, revision and holds stay as they were,
        # which is what `_publish` would find, without its work (most due moments are reminders).
        fresh = _unsent(notices, "notice_id", state.emitted)
        emitted = _with_sent(state.emitted, list(map(_notice_id, fresh)), fold) if fresh else state.emitted
        return Outcome(evolve(state, clock=fold.clock, fold=fold, emitted=emitted), notices=fresh)
    return _publish(state, Step(fold, notices), state.window, catalog, policy)


def next_due(state: SerialState, catalog: Catalog, policy: Policy) -> datetime | None:
    """When something next falls due for this serial, if anything does."""
    fold = current_fold(state, catalog, policy)
    if fold.clock is None:
        return None
    moments = [hold.ends_at(policy.hold_days) for hold in state.holds] if state.holds else []
    if fold.entitlement is not None and (
        transition := next_transition_at(fold.entitlement, fold.clock, catalog, policy)
    ):
        moments.append(transition)
    return max(min(moments), fold.clock) if moments else None
