"""Registrations: of a boxed serial (R1), or of a renewal order for it (R8)."""

from __future__ import annotations

from datetime import date

from lifecycle.rules.calendar import day_of
from lifecycle.rules.fold import Decision, Fold, refuse
from lifecycle.rules.model import Catalog, Event
from lifecycle.rules.support import beyond_last_expiry, renew, start_support
from lifecycle.rules.values import evolve


def on_registration(fold: Fold, event: Event, catalog: Catalog) -> Decision:
    """Register a serial or a renewal order; either may come before what it registers (R14)."""
    if event.get("renewal_order_id"):
        return _register_renewal_order(fold, event)
    if fold.entitlement is None:
        if fold.early_registration is not None:
            return Decision(fold)  # the first registration stands
        return Decision(evolve(fold, early_registration=event))
    return register(fold, event, catalog, not_before=None)


def register(fold: Fold, event: Event, catalog: Catalog, not_before: date | None) -> Decision:
    """Register the serial to the event's account; a boxed product's support starts today (R1)."""
    entitlement = fold.entitlement
    assert entitlement is not None
    if entitlement.registered_at is not None:
        if entitlement.account_id != event["account_id"]:
            return refuse(fold, f"serial {fold.serial} is registered to another account")
        return Decision(fold)  # registering again changes nothing
    if entitlement.channel != "retail_box" and entitlement.account_id != event["account_id"]:
        return refuse(fold, f"serial {fold.serial} was bought by another account")
    registered = evolve(
        entitlement,
        account_id=event["account_id"],
        registered_at=event["occurred_at"],
        contact=event.get("contact") or entitlement.contact,
    )
    if registered.status != "pending_registration":
        return Decision(evolve(fold, entitlement=registered))
    day = day_of(event["occurred_at"])
    started, notices = start_support(registered, max(day, not_before or day), catalog)
    return Decision(evolve(fold, entitlement=started), notices)


def _register_renewal_order(fold: Fold, event: Event) -> Decision:
    """R8: a renewal bought through Sales or a Partner takes effect when its order is registered."""
    order_id = event["renewal_order_id"]
    day = day_of(event["occurred_at"])
    entitlement = fold.entitlement
    if entitlement is not None:
        if order_id in entitlement.applied_orders:
            return Decision(fold)  # already in effect
        pending = next((p for p in entitlement.pending_renewals if p.renewal_order_id == order_id), None)
        if pending is not None:
            if entitlement.status == "superseded":
                return refuse(fold, f"serial {fold.serial} was upgraded to {entitlement.upgraded_to}")
            effective = max(day, pending.ordered_on)
            if (too_far := beyond_last_expiry(entitlement, pending.term_months, effective)) is not None:
                return refuse(fold, too_far)
            renewed, confirmation = renew(entitlement, order_id, pending.term_months, effective)
            return Decision(evolve(fold, entitlement=renewed), (confirmation,))
    if order_id in fold.registered_orders:
        return Decision(fold)
    return Decision(evolve(fold, registered_orders={**fold.registered_orders, order_id: day}))
