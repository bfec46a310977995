"""Folding a serial's events in event-time order: one step per event, held events let go when they can be."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lifecycle.rules.calendar import day_start, instant_of, iso_instant
from lifecycle.rules.cases import on_case
from lifecycle.rules.fold import Decision, Fold
from lifecycle.rules.model import Catalog, Event, Notice, Policy
from lifecycle.rules.purchase import on_purchase, on_upgrade_grant
from lifecycle.rules.registration import on_registration
from lifecycle.rules.renewal import on_renewal
from lifecycle.rules.timeflow import advance_fold
from lifecycle.rules.upgrade import grant_made, on_upgrade
from lifecycle.rules.values import evolve

# Events at the same instant apply in the order a customer's journey has them.
_RANK = {"purchase": 0, "upgrade_grant": 0, "registration": 1, "renewal": 2, "upgrade": 3, "case_opened": 4}


def event_time(event: Event) -> datetime:
    """The instant an event happened (a tick: the start of its due day)."""
    if event["type"] == "tick":
        return day_start(datetime.fromisoformat(event["due_on"]).date())
    return instant_of(event["occurred_at"])


def event_order(event: Event) -> tuple[datetime, int, str]:
    """The order events apply in: event time, then a journey's natural order, then id."""
    return event_time(event), _RANK.get(event["type"], 9), str(event["event_id"])


def step_of(fold: Fold, event: Event, catalog: Catalog) -> Decision:
    """The decision of one event on the fold so far."""
    entitlement = fold.entitlement
    if entitlement is None or not entitlement.taken_back or event["type"] in _ON_WHAT_WAS_GRANTED:
        return _decide(fold, event, catalog)
    # R9, R14a: in event-time order the upgrade was never granted and the serial has no entitlement; so its other
    # events wait for a purchase (or a grant made again), or a purchase starts one, as they would there.
    decision = _decide(evolve(fold, entitlement=None), event, catalog)
    if decision.fold.entitlement is None:
        return decision._replace(fold=evolve(decision.fold, entitlement=entitlement))
    return decision


# A grant made again replaces the one taken back; an upgrade of the serial waits, and takes back what it granted.
_ON_WHAT_WAS_GRANTED = ("upgrade_grant", "upgrade")


def _decide(fold: Fold, event: Event, catalog: Catalog) -> Decision:
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
    updated_at = iso_instant(event_time(event))
    if updated_at == event["occurred_at"]:
        updated_at = event["occurred_at"]  # the event's own string: one copy kept, not two
    # A grant is named as made, not by the revision it was sent at: the snapshot is the same in any arrival order.
    last_event_id = grant_made(event) if event["type"] == "upgrade_grant" else str(event["event_id"])
    stamped = evolve(fold.entitlement, updated_at=updated_at, last_event_id=last_event_id)
    return evolve(fold, entitlement=stamped)


@dataclass(slots=True)
class Step:
    """What folding one event gave: the new fold and everything it sends or refuses."""

    fold: Fold
    notices: list[Notice] = field(default_factory=list)
    derived: list[dict[str, Any]] = field(default_factory=list)
    rejection: str | None = None
    refused: list[tuple[Event, str]] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)


def fold_one(fold: Fold, event: Event, catalog: Catalog, policy: Policy) -> Step:
    """Let time pass to the event, then apply, hold or refuse it; what it brings may let held events go on."""
    fold, notices = advance_fold(fold, event_time(event), catalog, policy)
    decision = step_of(fold, event, catalog)
    if decision.waits:  # what it derives takes back what it derived before (R9)
        return Step(evolve(fold, held=(*fold.held, event)), notices, list(decision.derived))
    if decision.rejection is not None:  # what it still derives takes back what it derived before (R9)
        return Step(fold, notices, list(decision.derived), rejection=decision.rejection)
    step = Step(_stamp(fold, decision, event), [*notices, *decision.notices], list(decision.derived))
    step.decisions.extend(decision.decisions)
    if step.fold.held and step.fold.entitlement != fold.entitlement:
        _release(step, event, catalog)
    return step


def _release(step: Step, trigger: Event, catalog: Catalog) -> None:
    """Apply the held events that what `trigger` brought lets go on (R14a), in event-time order."""
    waiting = list(step.fold.held)
    progress = True
    while waiting and progress:
        progress, still = False, []
        for event in waiting:
            before = step.fold
            decision = step_of(before, event, catalog)
            if decision.waits:
                still.append(event)
                step.derived.extend(decision.derived)  # waiting still, an upgrade takes back its grant (R9)
            elif decision.rejection is not None:
                step.refused.append((event, decision.rejection))
                step.derived.extend(decision.derived)
            else:
                progress = True
                step.fold = _stamp(before, decision, trigger)
                step.notices.extend(decision.notices)
                step.derived.extend(decision.derived)
                step.decisions.extend(decision.decisions)
        waiting = still
    step.fold = evolve(step.fold, held=tuple(waiting))


def fold_all(start: Fold, events: tuple[Event, ...], until: datetime, catalog: Catalog, policy: Policy) -> Step:
    """Fold events on `start`; an event that an earlier one, come late, makes break a rule is refused."""
    return fold_until(fold_on(Step(start), events, catalog, policy), until, catalog, policy)


def fold_on(total: Step, events: tuple[Event, ...], catalog: Catalog, policy: Policy) -> Step:
    """`total` with events folded on, one after the other (time left at the last of them)."""
    for event in events:
        step = fold_one(total.fold, event, catalog, policy)
        if step.rejection is not None:
            total.refused.append((event, step.rejection))
        add_step(total, step)
    return total


def add_step(total: Step, step: Step) -> None:
    """Take one event's step into the fold so far."""
    total.fold = step.fold
    total.notices.extend(step.notices)
    total.derived.extend(step.derived)
    total.refused.extend(step.refused)
    total.decisions.extend(step.decisions)


def fold_until(total: Step, until: datetime, catalog: Catalog, policy: Policy) -> Step:
    """`total` with time let pass up to `until`."""
    total.fold, sent = advance_fold(total.fold, until, catalog, policy)
    total.notices.extend(sent)
    return total


def fold_in(start: Fold, events: tuple[Event, ...], catalog: Catalog, policy: Policy) -> Fold:
    """`start` with events folded in for good: what `fold_all` gives up to the last of them, outputs aside."""
    fold = start
    for event in events:
        fold = fold_one(fold, event, catalog, policy).fold
    return fold
