"""Upgrades (R9): free only while the source's support program is active on the upgrade date."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import date
from typing import Any

import orjson

from lifecycle.rules.calendar import day_of
from lifecycle.rules.entitlement import Entitlement
from lifecycle.rules.fold import Decision, Fold, refuse, wait
from lifecycle.rules.model import Event
from lifecycle.rules.notices import notice
from lifecycle.rules.values import evolve
from schemas.codec import SCHEMA_VERSION

GRANT_SOURCE = "lifecycle-processor"


def on_upgrade(fold: Fold, event: Event) -> Decision:
    """Grant the upgrade (the source is superseded, the new serial inherits its support) or deny it."""
    source = fold.entitlement
    serial, new_serial = fold.serial, event["new_serial"]
    if source is None:
        return wait(fold)  # R14a: the source's purchase has not come yet
    if new_serial == serial:
        return refuse(fold, f"upgrade of serial {serial} to itself")
    if source.status == "superseded":
        if source.upgraded_to == new_serial:
            return Decision(fold)
        # An earlier upgrade came late: a grant this one had is taken back (see `_taking_back`), and so below.
        why = f"serial {serial} was already upgraded to {source.upgraded_to}"
        return Decision(fold, (), (_taking_back(source, event),), rejection=why)
    if source.status == "pending_registration" or source.taken_back:
        # R14a: a boxed product's support, and its free upgrades, start at registration; a serial whose own grant
        # was taken back has no purchase (R9). A grant made before (a later purchase, refused now that this one
        # came late, had let it go; the serial's own grant, taken back since) is taken back while it waits.
        return Decision(fold, (), (_taking_back(source, event),), waits=True)
    if source.account_id != event["account_id"]:
        why = f"serial {serial} is registered to another account"
        return Decision(fold, (), (_taking_back(source, event),), rejection=why)
    day = day_of(event["occurred_at"])
    if not source.support()["free_upgrades"]:
        denied = notice(
            "upgrade_denied",
            source,
            day,
            event["event_id"],
            to_product=dict(event["to_product"]),
            reason=_why_denied(source),
        )
        return Decision(fold, (denied,), (_taking_back(source, event),))
    superseded = evolve(source, status="superseded", upgraded_to=new_serial)
    granted = notice(
        "upgrade_granted", superseded, day, new_serial, new_serial=new_serial, to_product=dict(event["to_product"])
    )
    return Decision(evolve(fold, entitlement=superseded), (granted,), (_grant(source, event),))


def takes_back(grant: Event) -> bool:
    """Whether a grant takes an earlier one back: it ends by the upgrade's day (see `_taking_back`)."""
    expires = grant.get("expires_on")
    return expires is not None and date.fromisoformat(expires) <= day_of(grant["occurred_at"])


def grant_made(grant: Event) -> str:
    """A grant's id as its source made it: without the source revision it was sent at (see `publishing`)."""
    made, _, revision = str(grant["event_id"]).rpartition(":")
    return made if revision.isdigit() else str(grant["event_id"])  # written before grants named their revision


def grant_key(grant: Event) -> str:
    """What a source remembers of a grant it sent: its id as made, and a digest of all it grants.

    Two grants of one upgrade can carry the same expiry and still grant other terms (a purchase of the source,
    come late, changed its license or program): the digest tells them apart, so the new one is sent (R9, R14).
    """
    terms = {key: value for key, value in grant.items() if key not in ("event_id", "source_revision")}
    digest = hashlib.blake2b(orjson.dumps(terms, option=orjson.OPT_SORT_KEYS), digest_size=4).hexdigest()
    return f"{grant_made(grant)}#{digest}"


def keyed_grant(key: str) -> str:
    """The grant id a key names, its digest aside (see `grant_key`)."""
    return key.partition("#")[0]


def upgrade_of(grant: Event) -> str:
    """The id of the upgrade a grant was made for."""
    return str(grant["event_id"]).rpartition(":grant:")[0]


def grants_sent(grant: Event, sent: Iterable[str]) -> list[str]:
    """The keys of the grants of the same upgrade among the ids sent, in the order sent (see `grant_key`)."""
    prefix = upgrade_of(grant) + ":grant:"
    # Event ids may hold ':grant:': what follows the prefix must be all of a key's tail. A state saved before
    # grants were remembered with a digest has none.
    return [key for key in sent if key.startswith(prefix) and _GRANT_TAIL.fullmatch(key, len(prefix))]


_GRANT_TAIL = re.compile(r"(?:\d{4}-\d{2}-\d{2}|none)(?:#[0-9a-f]{8})?")


def _why_denied(source: Entitlement) -> str:
    if source.program == "advantage_premier":
        return "the Acronis Advantage support program has expired: renew it through Acronis Sales or a Partner first"
    if source.program == "none":
        return "this product has no support program: free upgrades need an active Acronis Advantage program"
    return "free upgrades are included with an active Acronis Advantage Premier program only"


def _taking_back(source: Entitlement, event: Event) -> dict[str, Any]:
    """A grant that ends on the upgrade's day: the new serial gets no support from it (R9, R14).

    The upgrade is denied or refused now, where a grant was sent before: an event dated before it came late (a
    first registration that ended the program first, an earlier upgrade, a registration to another account).
    `publishing` sends it only after a grant of the same upgrade; else the upgrade was never granted.
    """
    return _grant(source, event, day_of(event["occurred_at"]))


def _grant(source: Entitlement, event: Event, ends_on: date | None = None) -> dict[str, Any]:
    """The derived event that creates the new serial's entitlement on its own partition.

    Its id names the expiry it carries: when a change to the source that happened before the upgrade is
    handled after it (a late renewal), the refold makes a new grant that updates the new serial (R9, R14).
    """
    expires_on = ends_on or source.expires_on
    expires = expires_on.isoformat() if expires_on else "none"
    return {
        "event_id": f"{event['event_id']}:grant:{expires}",
        "type": "upgrade_grant",
        "schema_version": SCHEMA_VERSION,
        "occurred_at": event["occurred_at"],
        "source": GRANT_SOURCE,
        "serial": event["new_serial"],
        "account_id": source.account_id,
        "upgraded_from": source.serial,
        "product": dict(event["to_product"]),
        "channel": source.channel,
        "license": dict(source.license),
        "program": source.program,
        "expires_on": expires_on.isoformat() if expires_on else None,
        "contact": source.contact,
    }
