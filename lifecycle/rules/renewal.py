"""Renewal orders (R8): online-store renewals take effect at once, others when registered."""

from __future__ import annotations

from lifecycle.rules.calendar import day_of
from lifecycle.rules.entitlement import PendingRenewal
from lifecycle.rules.fold import Decision, Fold, refuse, wait
from lifecycle.rules.model import Event
from lifecycle.rules.support import beyond_last_expiry, renew
from lifecycle.rules.values import evolve


def on_renewal(fold: Fold, event: Event) -> Decision:
    """Renew Advantage Premier or a Home subscription; refuse what has nothing to renew."""
    entitlement = fold.entitlement
    serial = fold.serial
    if entitlement is None:
        return wait(fold)  # R14a: the purchase has not come yet
    if entitlement.line == "oem":
        return refuse(fold, f"serial {serial} is an OEM product: OEM editions have no vendor support to renew")
    if entitlement.program == "home_perpetual":
        return refuse(
            fold, f"serial {serial} is a Home perpetual license: only subscriptions and Business support renew"
        )
    if entitlement.status == "superseded":
        return refuse(fold, f"serial {serial} was upgraded to {entitlement.upgraded_to}; renew that serial")
    if entitlement.status == "pending_registration":
        return wait(fold)  # R14a: a boxed product renews once registered
    order_id = event["renewal_order_id"]
    if order_id in entitlement.applied_orders or any(
        p.renewal_order_id == order_id for p in entitlement.pending_renewals
    ):
        return Decision(fold)  # the same order again
    day = day_of(event["occurred_at"])
    months = int(event["term_months"])
    registered_on = fold.registered_orders.get(order_id)
    if event["channel"] != "online_store" and registered_on is None:
        # Sales and Partner renewals take effect when their order is registered for the serial.
        pending = PendingRenewal(order_id, months, day)
        return Decision(
            evolve(fold, entitlement=evolve(entitlement, pending_renewals=(*entitlement.pending_renewals, pending)))
        )
    # Online, or the registration came first (R14): the renewal takes effect now.
    effective = day if event["channel"] == "online_store" or registered_on is None else max(day, registered_on)
    if (too_far := beyond_last_expiry(entitlement, months, effective)) is not None:
        return refuse(fold, too_far)
    renewed, confirmation = renew(entitlement, order_id, months, effective)
    remaining = fold.registered_orders
    if order_id in remaining:
        remaining = {k: v for k, v in remaining.items() if k != order_id}
    return Decision(evolve(fold, entitlement=renewed, registered_orders=remaining), (confirmation,))
