"""A fold as a JSON-safe document and back, so a stored state carries its fold instead of refolding on load."""

from __future__ import annotations

from dataclasses import fields
from datetime import date, datetime
from operator import attrgetter
from typing import Any

from lifecycle.rules.calendar import iso_day, iso_instant
from lifecycle.rules.entitlement import Entitlement, PendingRenewal
from lifecycle.rules.fold import Fold
from schemas import parse_instant

# Every field of an entitlement in order, read at once (dataclasses.fields per call took a fifth of encoding a state).
_FIELDS = tuple(f.name for f in fields(Entitlement))
_VALUES = attrgetter(*_FIELDS)


def _day(value: date | None) -> str | None:
    return iso_day(value) if value is not None else None


def _from_day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value is not None else None


def entitlement_to_dict(e: Entitlement) -> dict[str, Any]:
    """Every field of the entitlement, dates as YYYY-MM-DD and sets as lists."""
    document = dict(zip(_FIELDS, _VALUES(e), strict=True))  # the keys in field order, as the reader expects none
    document["purchased_on"] = iso_day(e.purchased_on)
    document["starts_on"] = _day(e.starts_on)
    document["expires_on"] = _day(e.expires_on)
    document["pending_renewals"] = [
        [p.renewal_order_id, p.term_months, iso_day(p.ordered_on)] for p in e.pending_renewals
    ]
    document["applied_orders"] = list(e.applied_orders)
    return document


def entitlement_from_dict(document: dict[str, Any]) -> Entitlement:
    """The entitlement `entitlement_to_dict` wrote."""
    fields = {
        **document,
        "purchased_on": date.fromisoformat(document["purchased_on"]),
        "starts_on": _from_day(document["starts_on"]),
        "expires_on": _from_day(document["expires_on"]),
        "pending_renewals": tuple(
            PendingRenewal(order, months, date.fromisoformat(on)) for order, months, on in document["pending_renewals"]
        ),
        "applied_orders": tuple(dict.fromkeys(document["applied_orders"])),  # in the order applied
        "decided_cases": tuple(document["decided_cases"]),
    }
    return Entitlement(**fields)


def fold_to_dict(fold: Fold) -> dict[str, Any]:
    """The fold as a document: its entitlement, clock and what waits."""
    return {
        "entitlement": entitlement_to_dict(fold.entitlement) if fold.entitlement is not None else None,
        "clock": iso_instant(fold.clock) if fold.clock is not None else None,
        "early_registration": fold.early_registration,
        "registered_orders": {order: iso_day(day) for order, day in fold.registered_orders.items()},
        "held": fold.held,
    }


def fold_from_dict(serial: str, document: dict[str, Any]) -> Fold:
    """The fold `fold_to_dict` wrote."""
    entitlement = document["entitlement"]
    clock: datetime | None = parse_instant(document["clock"], "clock") if document["clock"] else None
    return Fold(
        serial,
        entitlement_from_dict(entitlement) if entitlement is not None else None,
        clock,
        document["early_registration"],
        {order: date.fromisoformat(day) for order, day in document["registered_orders"].items()},
        tuple(document["held"]),
    )
