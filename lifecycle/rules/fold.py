"""The intermediate state of folding one serial's events, and the decision one step makes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from datetime import date, datetime
from types import MappingProxyType
from typing import Any, NamedTuple

from lifecycle.rules.entitlement import Entitlement
from lifecycle.rules.model import Event, Notice
from lifecycle.rules.values import value

# One read-only empty mapping for every fold without registered orders: most have none.
_NO_ORDERS: Mapping[str, date] = MappingProxyType({})


@value
class Fold:
    """One serial's facts so far: the entitlement, and what arrived before the purchase it needs."""

    serial: str
    entitlement: Entitlement | None = None
    clock: datetime | None = None
    # A registration that came before its purchase (R14): applied when the purchase arrives.
    early_registration: Event | None = None
    # Renewal orders registered before the order itself arrived (R14): order id -> registration day.
    registered_orders: Mapping[str, date] = field(default_factory=lambda: _NO_ORDERS)
    # Events that need the purchase (or registration) that has not come yet (R14a), in event-time order.
    held: tuple[Event, ...] = ()


class Decision(NamedTuple):
    """The result of one step: the new fold, what to send, or why the event is refused."""

    fold: Fold
    notices: tuple[Notice, ...] = ()
    derived: tuple[dict[str, Any], ...] = ()
    rejection: str | None = None
    decisions: tuple[dict[str, Any], ...] = ()  # support case decisions (R16)
    waits: bool = False  # the event needs a purchase or registration that has not come yet: hold it


def wait(fold: Fold) -> Decision:
    """Hold the event until what it needs arrives (R14a): nothing changes yet."""
    return Decision(fold, waits=True)


def refuse(fold: Fold, reason: str) -> Decision:
    """Refuse the event: nothing changes."""
    return Decision(fold, rejection=reason)
