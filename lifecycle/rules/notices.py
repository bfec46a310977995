"""Customer notices (R12) with deterministic ids: the same due notice always gets the same id."""

from __future__ import annotations

from datetime import date
from typing import Any

from lifecycle.rules.calendar import iso_day
from lifecycle.rules.entitlement import Entitlement
from lifecycle.rules.model import Notice
from schemas.codec import SCHEMA_VERSION


def notice(kind: str, entitlement: Entitlement, due_on: date, key: str, **extra: Any) -> Notice:
    """A notice of `kind` about `entitlement`, due on `due_on`; `key` makes its id unique per occasion."""
    channels, hours, priority = entitlement.reach()
    data: dict[str, Any] = {
        "product": dict(entitlement.product),
        "program": entitlement.program,
        "status": entitlement.status,
        "starts_on": iso_day(entitlement.starts_on) if entitlement.starts_on else None,
        "expires_on": iso_day(entitlement.expires_on) if entitlement.expires_on else None,
        "channels": channels,
        "hours": hours,
        "priority": priority,
        "ppi_credits": entitlement.ppi_credits,
        **extra,
    }
    if entitlement.contact:
        data["recipient"] = dict(entitlement.contact)
    document: Notice = {
        "schema_version": SCHEMA_VERSION,
        "notice_id": f"{kind}:{entitlement.serial}:{key}",
        "kind": kind,
        "serial": entitlement.serial,
        "account_id": entitlement.account_id,
        "due_on": iso_day(due_on),
        "data": data,
    }
    if "lead_days" in extra:
        document["lead_days"] = extra["lead_days"]
    return document
