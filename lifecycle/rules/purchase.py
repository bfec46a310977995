"""Purchases (R1, R2, R4-R7) and Pay Per Incident credits (R6); an upgrade's grant (R9)."""

from __future__ import annotations

from datetime import date

from lifecycle.rules.calendar import day_of, utc_day
from lifecycle.rules.entitlement import Entitlement
from lifecycle.rules.fold import Decision, Fold, refuse, wait
from lifecycle.rules.model import Catalog, Event
from lifecycle.rules.notices import notice
from lifecycle.rules.registration import register
from lifecycle.rules.support import program_for, start_support, version_supported_on
from lifecycle.rules.upgrade import takes_back
from lifecycle.rules.values import evolve


def on_purchase(fold: Fold, event: Event, catalog: Catalog) -> Decision:
    """A product purchase starts an entitlement; a PPI purchase adds a credit to an existing one."""
    if event["license"]["type"] == "ppi":
        return _add_incident_credit(fold, event)
    if fold.entitlement is not None:
        return refuse(fold, f"serial {fold.serial} was already purchased (order {_order_of(fold.entitlement)})")
    day = day_of(event["occurred_at"])
    product, license_ = event["product"], event["license"]
    program = program_for(product["line"], license_["type"], day)
    entitlement = Entitlement(
        serial=fold.serial,
        account_id=event["account_id"],
        # The event's own values, not copies: events and entitlements are never changed in place.
        product=product,
        channel=event["channel"],
        license=license_,
        purchased_at=event["occurred_at"],
        purchased_on=day,
        # R2/R7: OEM editions and Business products bought before 2009-03-02 include no program.
        status="no_support" if program == "none" else "pending_registration",
        program=program,
        contact=event.get("contact"),
        applied_orders=(event["order_id"],),
        version_supported=version_supported_on(product, day, catalog),
    )
    if program == "none":
        return Decision(evolve(fold, entitlement=entitlement))
    if event["channel"] == "retail_box":
        # R1: a boxed product's support starts when its serial is registered.
        if fold.early_registration is not None:
            pending = evolve(fold, entitlement=entitlement, early_registration=None)
            return register(pending, fold.early_registration, catalog, not_before=day)
        return Decision(evolve(fold, entitlement=entitlement))
    # R1: online store (and, as documented, partner) purchases start on the purchase date.
    started, notices = start_support(entitlement, day, catalog)
    return Decision(evolve(fold, entitlement=started), notices)


def _order_of(entitlement: Entitlement) -> str:
    return ", ".join(sorted(entitlement.applied_orders)) or "unknown"


def _add_incident_credit(fold: Fold, event: Event) -> Decision:
    """R6: PPI is for registered Home products only; each purchase adds its quantity of incident credits."""
    entitlement = fold.entitlement
    if entitlement is None:
        return wait(fold)  # R14a: the product's purchase has not come yet
    if entitlement.line != "home":
        return refuse(
            fold, f"Pay Per Incident is for Home products only; serial {fold.serial} is a {entitlement.line} product"
        )
    if entitlement.status == "pending_registration":
        return wait(fold)  # R14a: Pay Per Incident is for a registered product
    if entitlement.status == "superseded":
        return refuse(
            fold, f"serial {fold.serial} was upgraded to {entitlement.upgraded_to}; buy Pay Per Incident for that one"
        )
    credits = int(event["license"]["quantity"])
    credited = evolve(entitlement, ppi_credits=entitlement.ppi_credits + credits)
    day = day_of(event["occurred_at"])
    added = notice("ppi_added", credited, day, event["order_id"], credits_added=credits, price=event["price"])
    return Decision(evolve(fold, entitlement=credited), (added,))


def on_upgrade_grant(fold: Fold, event: Event) -> Decision:
    """R9: the new serial of a free upgrade gets the source's program and expiry, registered to the same account.

    A grant made from newer knowledge of the source (a higher `source_revision`: a renewal or registration of
    the source dated before the upgrade but handled after it) replaces the one before, whatever the order. In the
    reorder window the newer takes the older's place before the fold (see `engine`); here it meets one folded in.
    """
    current = fold.entitlement
    revision = int(event.get("source_revision", 0))
    if current is not None:
        if current.upgraded_from != event["upgraded_from"]:
            return refuse(fold, f"upgrade target serial {fold.serial} already has an entitlement")
        same = revision == current.grant_revision
        if revision < current.grant_revision or (same and (takes_back(event) or not current.taken_back)):
            return Decision(fold)  # the same or older knowledge of the source
        # At the same revision a grant replaces one taken back: one refold of the source made both, the take-back
        # of an upgrade refused now, then the grant of a later upgrade to this serial that it let go on.
    day = day_of(event["occurred_at"])
    expires_on = date.fromisoformat(event["expires_on"]) if event.get("expires_on") else None
    active = expires_on is None or max(day, utc_day(fold.clock) if fold.clock else day) < expires_on
    entitlement = Entitlement(
        serial=fold.serial,
        account_id=event["account_id"],
        product=dict(event["product"]),
        channel=event["channel"],
        license=dict(event["license"]),
        purchased_at=event["occurred_at"],
        purchased_on=day,
        registered_at=event["occurred_at"],
        status="active" if active else "expired",
        program=event["program"],
        starts_on=day,
        expires_on=expires_on,
        contact=event.get("contact"),
        upgraded_from=event["upgraded_from"],
        grant_revision=revision,
    )
    if takes_back(event):
        # The source's program had ended by the upgrade, learnt late: the upgrade was not free, and gives no support.
        entitlement = evolve(entitlement, status="no_support", program="none", starts_on=None, expires_on=None)
    return Decision(evolve(fold, entitlement=entitlement))
