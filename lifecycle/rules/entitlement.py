"""The folded entitlement of one serial, and how it reads as a snapshot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from lifecycle.rules.calendar import iso_day
from lifecycle.rules.model import Snapshot
from lifecycle.rules.values import value
from schemas.codec import SCHEMA_VERSION

BUSINESS_PROGRAM_SINCE = date(2009, 3, 2)  # FAQ: "Effective March 2, 2009, all Acronis Business products include..."
BUSINESS_INCLUDED_MONTHS = 12


@dataclass(frozen=True)
class Terms:
    """What a support program gives while it is active (R3-R5, R7)."""

    channels: tuple[str, ...]
    hours: str
    priority: bool
    free_upgrades: bool
    recovery_warranty: bool


PROGRAM_TERMS: dict[str, Terms] = {
    # R3: chat, email and phone, 24x7, priority handling, free upgrades while active.
    "advantage_premier": Terms(("chat", "email", "phone"), "24x7", True, True, False),
    # R5: chat, email and phone for the term; Home products keep the recovery warranty.
    "home_subscription": Terms(("chat", "email", "phone"), "business_hours", False, False, True),
    # R4: chat and email during the support lifecycle, and free warranty support for recovery issues.
    "home_perpetual": Terms(("chat", "email"), "business_hours", False, False, True),
    # R7: knowledge base only.
    "none": Terms((), "business_hours", False, False, False),
}
# R6: a Pay Per Incident credit brings phone plus priority chat and email for one case.
PPI_CHANNELS = ("chat", "email", "phone")


@value
class PendingRenewal:
    """A renewal order bought through Sales or a Partner, waiting for its registration (R8)."""

    renewal_order_id: str
    term_months: int
    ordered_on: date


@value
class Entitlement:
    """The entitlement of one serial, as the rules fold it from that serial's events."""

    serial: str
    account_id: str
    product: dict[str, Any]
    channel: str
    license: dict[str, Any]
    purchased_at: str
    purchased_on: date
    status: str
    program: str
    starts_on: date | None = None
    expires_on: date | None = None
    registered_at: str | None = None
    contact: dict[str, Any] | None = None
    ppi_credits: int = 0
    pending_renewals: tuple[PendingRenewal, ...] = ()
    upgraded_from: str | None = None
    upgraded_to: str | None = None
    version_supported: bool = True
    updated_at: str = ""
    last_event_id: str = ""
    # The latest order ids applied, oldest first (support.ORDERS_REMEMBERED): a tuple, since a one-item frozenset
    # takes four times the memory.
    applied_orders: tuple[str, ...] = ()
    decided_cases: tuple[str, ...] = ()  # the latest case numbers decided, oldest first (R16, CASES_REMEMBERED)
    grant_revision: int = 0  # an upgrade target: the source's revision its grant was made from

    @property
    def line(self) -> str:
        return str(self.product["line"])

    @property
    def family(self) -> str:
        return str(self.product["family"])

    @property
    def version(self) -> str:
        return str(self.product["version"])

    @property
    def taken_back(self) -> bool:
        """An upgrade's grant taken back (R9): the serial stands for one that event-time order never makes."""
        return self.upgraded_from is not None and self.status == "no_support"

    @property
    def supported_now(self) -> bool:
        """Whether the program's terms apply: support is running."""
        return self.status == "active"

    def reach(self) -> tuple[list[str], str, bool]:
        """How the customer can reach support now: the channels open, the hours and whether with priority."""
        terms = PROGRAM_TERMS[self.program]
        active = self.supported_now
        credit = self.ppi_credits > 0
        return list(_channels(self.program, active, credit)), terms.hours, (terms.priority and active) or credit

    def support(self) -> dict[str, Any]:
        """The snapshot's `support` object: the program's terms while active, plus PPI credits."""
        terms = PROGRAM_TERMS[self.program]
        active = self.supported_now
        channels, hours, priority = self.reach()
        return {
            "program": self.program,
            "starts_on": iso_day(self.starts_on) if self.starts_on else None,
            "expires_on": iso_day(self.expires_on) if self.expires_on else None,
            "channels": channels,
            "hours": hours,
            "priority": priority,
            "ppi_credits": self.ppi_credits,
            "recovery_warranty": terms.recovery_warranty,
            "free_upgrades": terms.free_upgrades and active,
        }

    def snapshot(self, revision: int) -> Snapshot:
        """The entitlement as the contract's snapshot document."""
        return {
            "schema_version": SCHEMA_VERSION,
            "serial": self.serial,
            "account_id": self.account_id,
            "revision": revision,
            # Shared with the entitlement, not copied: a snapshot, like the rules' values, is never changed in place.
            "product": self.product,
            "channel": self.channel,
            "license": self.license,
            "status": self.status,
            "purchased_at": self.purchased_at,
            "registered_at": self.registered_at,
            "contact": dict(self.contact) if self.contact else None,
            "support": self.support(),
            "pending_renewals": [
                {"renewal_order_id": p.renewal_order_id, "term_months": p.term_months} for p in self.pending_renewals
            ],
            "upgraded_from": self.upgraded_from,
            "upgraded_to": self.upgraded_to,
            "version_supported": self.version_supported,
            "updated_at": self.updated_at,
            "last_event_id": self.last_event_id,
        }


@cache
def _channels(program: str, active: bool, with_credit: bool) -> tuple[str, ...]:
    """The contact channels open, sorted: the program's while support runs, and a PPI credit's (R6)."""
    channels = set(PROGRAM_TERMS[program].channels) if active else set()
    if with_credit:
        channels.update(PPI_CHANNELS)
    return tuple(sorted(channels))


def shown(entitlement: Entitlement) -> tuple[Any, ...]:
    """What of an entitlement its snapshot shows (revision aside): equal exactly when the snapshots are."""
    e = entitlement
    pending = tuple((p.renewal_order_id, p.term_months) for p in e.pending_renewals)
    return (
        e.serial,
        e.account_id,
        e.product,
        e.channel,
        e.license,
        e.status,
        e.program,
        e.purchased_at,
        e.registered_at,
        e.contact or None,
        e.starts_on,
        e.expires_on,
        e.ppi_credits,
        pending,
        e.upgraded_from,
        e.upgraded_to,
        e.version_supported,
        e.updated_at,
        e.last_event_id,
    )
