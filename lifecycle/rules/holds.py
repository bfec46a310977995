"""Held events (R14a): when each began to wait, and which ran out of their hold period."""

from __future__ import annotations

from datetime import UTC, datetime

from lifecycle.rules.fold import Fold
from lifecycle.rules.model import Hold, Policy, SerialState


def holds_of(state: SerialState, fold: Fold, received_at: datetime | None) -> tuple[Hold, ...]:
    """The fold's held events with their arrival: kept from before, or now for a newly held one."""
    known = {hold.event_id: hold.since for hold in state.holds}
    arrived = received_at or datetime.min.replace(tzinfo=UTC)
    return tuple(
        Hold(str(e["event_id"]), str(e["type"]), str(e["occurred_at"]), known.get(str(e["event_id"]), arrived))
        for e in fold.held
    )


def expired_holds(holds: tuple[Hold, ...], clock: datetime | None, policy: Policy) -> set[str]:
    """Ids of the holds whose period is over at `clock`."""
    if clock is None:
        return set()
    return {hold.event_id for hold in holds if hold.ends_at(policy.hold_days) <= clock}


def why_expired(fold: Fold, policy: Policy) -> str:
    if fold.entitlement is None or fold.entitlement.taken_back:
        return f"no purchase for serial {fold.serial} after {policy.hold_days} days"
    return f"serial {fold.serial} was not registered within {policy.hold_days} days"
