"""Apply an event or the passage of time to one serial's state (the functional core's entry points).

A serial's entitlement is the fold of its accepted events in event-time order, advanced to its clock,
so events that arrive out of order within the reorder window converge to what in-order processing gives
(R14); an event that needs a purchase or registration not there yet is held until it is (R14a). Notices,
derived events and case decisions are sent once: their deterministic ids are remembered in the state.
"""

from __future__ import annotations

from datetime import datetime

from lifecycle.rules.fold import Fold
from lifecycle.rules.folding import Step, add_step, event_order, event_time, fold_all, fold_on, fold_one, fold_until
from lifecycle.rules.model import Catalog, Event, Outcome, Policy, SerialState
from lifecycle.rules.publishing import publish, time_passed
from lifecycle.rules.timeflow import advance_fold, next_transition_at, overdue
from lifecycle.rules.values import evolve
from lifecycle.rules.window import too_old

__all__ = ["advance", "apply_event", "current_fold", "event_order", "event_time", "next_due"]


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
    if event["type"] == "upgrade_grant" and _stands_on_newer(state, event, catalog, policy):
        return Outcome(state)  # R9, R13: an older grant, delivered again after a newer one took its place
    key = event_order(event)
    if state.through is not None and key <= state.through:
        return Outcome(state, rejection=too_old(state.serial, event, state.through, policy))
    until = max(clock, state.clock) if state.clock else clock
    window = _stood_in_for(state.window, event) if event["type"] == "upgrade_grant" else state.window
    if window is None:
        return Outcome(state)  # R9: a newer grant from the same source is kept; this older one changes nothing
    # A grant in an older one's place folds from the base: the current fold has the older one in it.
    newest = window is state.window and (not window or key >= event_order(window[-1]))
    newest = newest and (state.clock is None or key[0] >= state.clock)
    fold = current_fold(state, catalog, policy) if newest else None
    if fold is not None and window and overdue(fold, catalog, policy):
        fold = None  # a release known late: fold the window again with it, this event last (see `advance`)
    if fold is not None:
        # The usual case: the newest event for this serial, applied on top of the current fold.
        step = fold_one(fold, event, catalog, policy)
        step.fold, later = advance_fold(step.fold, until, catalog, policy)
        step.notices.extend(later)
        return _publish_arrived(state, step, (*window, event), event, catalog, policy, received_at or until)
    # Out of order: fold the window again from the base with the event in its place; it is decided against the
    # events before it, and refused (kept all the same, see `_publish_arrived`) when it breaks a rule there.
    place = next((i for i, kept in enumerate(window) if event_order(kept) > key), len(window))
    step = fold_on(Step(_start(state)), window[:place], catalog, policy)
    arrived = fold_one(step.fold, event, catalog, policy)
    add_step(step, arrived)
    step.rejection = arrived.rejection
    step = fold_until(fold_on(step, window[place:], catalog, policy), until, catalog, policy)
    window = (*window[:place], event, *window[place:])
    return _publish_arrived(state, step, window, event, catalog, policy, received_at or until)


def _stood_in_for(window: tuple[Event, ...], grant: Event) -> tuple[Event, ...] | None:
    """The window without the older grants from `grant`'s source; None when it keeps a newer one (R9, R14).

    The newest grant from a source stands (see `purchase.on_upgrade_grant`). A grant made again (the source learnt
    late of an event dated before the upgrade) takes the place of the one before, so a refold applies the serial's
    own events on top of it, as if it had been the only one. Grants of one revision come from one refold (a grant
    and a take-back, R9): `on_upgrade_grant` decides between them. A grant folded in for good is not undone: a
    newer one dated before the window is refused as too old, as any such event is (R14).
    """
    source, revision = grant["upgraded_from"], _revision(grant)
    older: list[Event] = []
    for kept in window:
        if kept["type"] == "upgrade_grant" and kept["upgraded_from"] == source:
            if _revision(kept) > revision:
                return None
            if _revision(kept) < revision:
                older.append(kept)
    if not older:
        return window
    return tuple(kept for kept in window if all(kept is not stale for stale in older))


def _stands_on_newer(state: SerialState, grant: Event, catalog: Catalog, policy: Policy) -> bool:
    """Whether the serial stands on a newer grant from `grant`'s source (its id, replaced, is no longer kept)."""
    if not state.window and state.base is None:
        return False
    entitlement = current_fold(state, catalog, policy).entitlement
    return (
        entitlement is not None
        and entitlement.upgraded_from == grant["upgraded_from"]
        and entitlement.grant_revision > _revision(grant)
    )


def _revision(grant: Event) -> int:
    """The source revision a grant was made at (0: sent before grants carried one)."""
    return int(grant.get("source_revision", 0))


def _publish_arrived(
    state: SerialState,
    step: Step,
    window: tuple[Event, ...],
    event: Event,
    catalog: Catalog,
    policy: Policy,
    received_at: datetime,
) -> Outcome:
    """`publish` for an arrived event; refused, it is kept all the same (see `docs/rules.md`, R14)."""
    if step.rejection is None:
        return publish(state, step, window, catalog, policy, received_at)
    # An event dated before it, come late, may let it go on, as in event-time order: it stays in the window like
    # one refused by a refold, and this refusal is its one dead letter.
    rejection = step.rejection
    step.refused.append((event, rejection))
    outcome = publish(state, step, window, catalog, policy, received_at)
    return outcome._replace(refused=tuple(r for r in outcome.refused if r[0] is not event), rejection=rejection)


def advance(state: SerialState, clock: datetime, catalog: Catalog, policy: Policy) -> Outcome:
    """Let time pass for one serial up to `clock`: reminders, expiries and version ends fall due."""
    if not state.window and state.base is None:
        return Outcome(None)  # nothing is known of this serial: time changes nothing
    before = current_fold(state, catalog, policy)
    if state.window and overdue(before, catalog, policy):
        # The fold went past a moment the catalog named only later (a release read or announced late): fold the
        # window again, so the version end takes its place among the events as event-time order has it (R14).
        step = fold_all(_start(state), state.window, max(clock, before.clock or clock), catalog, policy)
        return publish(state, step, state.window, catalog, policy)
    fold, notices = advance_fold(before, clock, catalog, policy)
    return time_passed(state, before, fold, notices, catalog, policy)


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
