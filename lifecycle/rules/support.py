"""Starting, renewing and ending support periods (R1, R2, R8, R10, R11)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from lifecycle.rules.calendar import add_months, iso_day
from lifecycle.rules.catalog import support_ends_on
from lifecycle.rules.entitlement import BUSINESS_INCLUDED_MONTHS, BUSINESS_PROGRAM_SINCE, Entitlement
from lifecycle.rules.model import Catalog, Notice
from lifecycle.rules.notices import notice
from lifecycle.rules.values import evolve

# A serial remembers this many of its latest applied orders (the purchase's, then each renewal's, oldest first):
# the same order sent again among them does not renew twice. A bound keeps the state's size whatever its age.
ORDERS_REMEMBERED = 256
# No support period ends later: the contract's dates end in 2100, and stacked renewals must stay dates at all.
LAST_EXPIRY = date(2200, 12, 31)


def program_for(line: str, license_type: str, purchased_on: date) -> str:
    """The support program a purchase includes (R2, R4, R5, R7)."""
    if line == "oem":
        return "none"
    if line == "business":
        return "advantage_premier" if purchased_on >= BUSINESS_PROGRAM_SINCE else "none"
    return "home_subscription" if license_type == "subscription" else "home_perpetual"


def term_months(entitlement: Entitlement) -> int | None:
    """The length of the first support period; None for a program without an end."""
    if entitlement.program == "advantage_premier":
        return BUSINESS_INCLUDED_MONTHS
    if entitlement.program == "home_subscription":
        return int(entitlement.license["term_months"])
    return None


def version_supported_on(product: Mapping[str, Any], day: date, catalog: Catalog) -> bool:
    """Whether the product's version is in its support lifecycle on `day` (R10)."""
    ends_on = support_ends_on(catalog, product["family"], product["version"])
    return ends_on is None or day < ends_on


def start_support(entitlement: Entitlement, day: date, catalog: Catalog) -> tuple[Entitlement, tuple[Notice, ...]]:
    """Begin the included support period on `day` (the purchase or registration date, R1)."""
    if entitlement.program == "none":
        return evolve(entitlement, status="no_support"), ()
    months = term_months(entitlement)
    supported = version_supported_on(entitlement.product, day, catalog)
    started = evolve(
        entitlement,
        starts_on=day,
        expires_on=add_months(day, months) if months else None,
        version_supported=supported,
        status="version_unsupported" if entitlement.program == "home_perpetual" and not supported else "active",
    )
    if started.status != "active":
        return started, ()
    return started, (notice("support_started", started, day, iso_day(day)),)


def _lapsed(entitlement: Entitlement, effective: date) -> bool:
    return entitlement.status != "active" or entitlement.expires_on is None or entitlement.expires_on <= effective


def _renewal_base(entitlement: Entitlement, effective: date) -> date:
    """R8: a renewal runs from the later of the current expiry and its effective date."""
    if _lapsed(entitlement, effective) or entitlement.expires_on is None:
        return effective
    return entitlement.expires_on


def beyond_last_expiry(entitlement: Entitlement, months: int, effective: date) -> str | None:
    """Why a renewal cannot apply: stacked renewals would run support past LAST_EXPIRY."""
    base = _renewal_base(entitlement, effective)
    if (base.year - LAST_EXPIRY.year) * 12 + base.month - LAST_EXPIRY.month + months > 0:
        return f"term_months: {months} more months from {base.isoformat()} end after {LAST_EXPIRY.isoformat()}"
    return None


def renew(entitlement: Entitlement, order_id: str, months: int, effective: date) -> tuple[Entitlement, Notice]:
    """Extend support from the later of the current expiry and the effective date (R8); see beyond_last_expiry."""
    lapsed = _lapsed(entitlement, effective)
    program = "advantage_premier" if entitlement.line == "business" else entitlement.program
    renewed = evolve(
        entitlement,
        program=program,
        status="active",
        starts_on=effective if lapsed else entitlement.starts_on,
        expires_on=add_months(_renewal_base(entitlement, effective), months),
        pending_renewals=tuple(p for p in entitlement.pending_renewals if p.renewal_order_id != order_id),
        applied_orders=(*(o for o in entitlement.applied_orders if o != order_id), order_id)[-ORDERS_REMEMBERED:],
    )
    confirmation = notice(
        "renewal_confirmed",
        renewed,
        effective,
        order_id,
        renewal_order_id=order_id,
        term_months=months,
        new_expires_on=iso_day(renewed.expires_on) if renewed.expires_on else None,
    )
    return renewed, confirmation
