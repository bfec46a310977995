"""Builders of contract events, for the sample traffic, the synthetic streams and the tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lifecycle.rules.calendar import iso_instant

PRODUCTS: dict[str, dict[str, str]] = {
    "backup-advanced": {
        "sku": "ABA-WS",
        "name": "Backup Advanced for Windows Server",
        "line": "business",
        "family": "backup",
    },
    "backup-vmware": {"sku": "AB-VMW", "name": "Backup for VMware", "line": "business", "family": "backup-vmware"},
    "snap-deploy": {"sku": "ASD-M", "name": "Snap Deploy", "line": "business", "family": "snap-deploy"},
    "true-image": {"sku": "ATI-H", "name": "True Image", "line": "home", "family": "true-image"},
    "disk-director": {"sku": "ADD-H", "name": "Disk Director Home", "line": "home", "family": "disk-director"},
    "discwizard": {"sku": "OEM-DW", "name": "DiscWizard", "line": "oem", "family": "discwizard"},
    "maxblast": {"sku": "OEM-MB", "name": "MaxBlast", "line": "oem", "family": "maxblast"},
}
UNITS = {"backup-advanced": "os_instance", "backup-vmware": "host_cpu", "snap-deploy": "machine"}


def _envelope(event_id: str, kind: str, at: datetime, source: str) -> dict[str, Any]:
    return {"event_id": event_id, "type": kind, "schema_version": 1, "occurred_at": iso_instant(at), "source": source}


def product(name: str, version: str) -> dict[str, str]:
    """A product document of the catalogue above at `version`."""
    return {**PRODUCTS[name], "version": version}


def purchase(
    event_id: str,
    at: datetime,
    serial: str,
    account: str,
    name: str,
    version: str,
    channel: str = "online_store",
    license_type: str = "perpetual",
    term_months: int | None = None,
    quantity: int = 1,
    contact: dict[str, str] | None = None,
    amount: str = "49.99",
) -> dict[str, Any]:
    """A purchase event."""
    license_: dict[str, Any] = {"type": license_type, "quantity": quantity, "unit": UNITS.get(name, "machine")}
    if term_months is not None:
        license_["term_months"] = term_months
    event = {
        **_envelope(event_id, "purchase", at, "store-eu-1" if channel == "online_store" else f"{channel}-feed"),
        "order_id": f"order-{event_id}",
        "account_id": account,
        "channel": channel,
        "serial": serial,
        "product": product(name, version),
        "license": license_,
        "price": {"amount": amount, "currency": "USD"},
    }
    if contact:
        event["contact"] = contact
    return event


def ppi(event_id: str, at: datetime, serial: str, account: str, quantity: int = 1) -> dict[str, Any]:
    """A Pay Per Incident purchase for a registered Home product's serial."""
    event = purchase(event_id, at, serial, account, "true-image", "ppi", license_type="ppi", quantity=quantity)
    event["product"] = {"sku": "PPI-H", "name": "Pay Per Incident", "line": "home", "family": "ppi", "version": "1"}
    event["price"] = {"amount": f"{20 * quantity}.00", "currency": "USD"}
    return event


def registration(
    event_id: str,
    at: datetime,
    serial: str,
    account: str,
    renewal_order_id: str | None = None,
    contact: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A registration of a serial, or of a renewal order for it."""
    event = {**_envelope(event_id, "registration", at, "registration-site"), "account_id": account, "serial": serial}
    if renewal_order_id:
        event["renewal_order_id"] = renewal_order_id
    if contact:
        event["contact"] = contact
    return event


def renewal(
    event_id: str, at: datetime, serial: str, account: str, order_id: str, term_months: int = 12, channel: str = "sales"
) -> dict[str, Any]:
    """A renewal order."""
    return {
        **_envelope(event_id, "renewal", at, f"{channel}-crm"),
        "renewal_order_id": order_id,
        "account_id": account,
        "serial": serial,
        "term_months": term_months,
        "channel": channel,
    }


def upgrade(
    event_id: str, at: datetime, serial: str, account: str, new_serial: str, name: str, version: str
) -> dict[str, Any]:
    """An upgrade request from the account portal."""
    return {
        **_envelope(event_id, "upgrade", at, "account-portal"),
        "account_id": account,
        "serial": serial,
        "new_serial": new_serial,
        "to_product": product(name, version),
    }


def release(event_id: str, at: datetime, name: str, version: str) -> dict[str, Any]:
    """A release of a product version."""
    info = PRODUCTS[name]
    return {
        **_envelope(event_id, "release", at, "release-management"),
        "product": {"line": info["line"], "family": info["family"], "version": version},
        "released_on": at.date().isoformat(),
    }


def case(
    event_id: str,
    at: datetime,
    serial: str,
    account: str,
    case_number: str,
    category: str = "technical",
    channel: str = "email",
    severity: str = "C",
) -> dict[str, Any]:
    """A support case the CRM opened."""
    return {
        **_envelope(event_id, "case_opened", at, "crm"),
        "case_number": case_number,
        "serial": serial,
        "account_id": account,
        "category": category,
        "severity": severity,
        "channel": channel,
    }
