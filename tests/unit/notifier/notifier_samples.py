"""Sample notices of every kind, shaped as the rules emit them."""

from __future__ import annotations

import copy
from typing import Any

from examples import example

from schemas.codec import load_schema

KINDS: tuple[str, ...] = tuple(load_schema("notice")["properties"]["kind"]["enum"])

BUSINESS_PRODUCT = {
    "sku": "ABR-WS-115",
    "name": "Acronis Backup Advanced for Windows Server",
    "line": "business",
    "family": "backup",
    "version": "11.5",
}
HOME_PRODUCT = {
    "sku": "ATI-2016",
    "name": "Acronis True Image",
    "line": "home",
    "family": "true-image",
    "version": "2016",
}

KIND_DATA: dict[str, dict[str, Any]] = {
    "support_started": {},
    "expiry_reminder": {"lead_days": 30},
    "support_expired": {},
    "renewal_confirmed": {"new_expires_on": "2028-03-15", "renewal_order_id": "RO-7781"},
    "upgrade_granted": {
        "new_serial": "SN-NEW-2",
        "to_product": {**BUSINESS_PRODUCT, "sku": "ABR-WS-12", "name": "Acronis Backup 12", "version": "12"},
    },
    "upgrade_denied": {"status": "expired", "reason": "the support program has expired; renew it first"},
    "version_end_of_support": {"released_version": "2018"},
    "ppi_added": {"credits_added": 1},
    "ppi_used": {"case_number": "00123456"},
}


def notice(kind: str, line: str = "business", **data: Any) -> dict[str, Any]:
    """The contract's example notice as `kind`, for a Business (Advantage Premier) or Home (subscription) product."""
    business = line == "business"
    document = example("notice")
    document.update(notice_id=f"{kind}:SN-1:2026-03-15", kind=kind, serial="SN-1", account_id="ACC-1")
    document["due_on"] = "2026-03-15"
    document["data"].update(
        product=copy.deepcopy(BUSINESS_PRODUCT if business else HOME_PRODUCT),
        program="advantage_premier" if business else "home_subscription",
        starts_on="2026-03-15",
        expires_on="2027-03-15",
        hours="24x7" if business else "business_hours",
        priority=business,
        ppi_credits=0 if business else 2,
        recipient={"email": "pat@example.com", "name": "Pat Customer"},
    )
    document["data"].update(copy.deepcopy(KIND_DATA[kind]))
    document["data"].update(data)
    return document
