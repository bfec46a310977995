"""A serial's entitlement in words and its revisions as a timeline of changes, from the stored snapshots (pure)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from lifecycle.dashboard.letter_detail import mask_document

PROGRAMS = {
    "advantage_premier": "Advantage Premier",
    "home_perpetual": "Home perpetual support",
    "home_subscription": "Home subscription support",
    "none": "no vendor support program",
}
STATUSES = {
    "active": "covered",
    "pending_registration": "not covered yet: waiting for the serial's registration",
    "expired": "not covered: support expired",
    "superseded": "not covered: upgraded to another serial",
    "no_support": "not covered: no vendor support program",
    "version_unsupported": "not covered: the version left the support lifecycle",
}
# What the timeline compares between revisions: (label, path in the snapshot).
WATCHED = (
    ("status", ("status",)),
    ("program", ("support", "program")),
    ("starts on", ("support", "starts_on")),
    ("expires on", ("support", "expires_on")),
    ("channels", ("support", "channels")),
    ("Pay Per Incident credits", ("support", "ppi_credits")),
    ("free upgrades", ("support", "free_upgrades")),
    ("version supported", ("version_supported",)),
    ("upgraded to", ("upgraded_to",)),
    ("registered at", ("registered_at",)),
    ("pending renewals", ("pending_renewals",)),
)


def _get(document: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = document
    for part in path:
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _words(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_words(item) for item in value) if value else "none"
    if isinstance(value, dict):
        return ", ".join(f"{key} {_words(item)}" for key, item in value.items())
    return str(value)


def last_day(expires_on: str | None) -> str | None:
    """The last day of support: the day before `expires_on` (support covers starts_on <= day < expires_on)."""
    if not expires_on:
        return None
    return (date.fromisoformat(expires_on) - timedelta(days=1)).isoformat()


def in_words(document: dict[str, Any]) -> dict[str, Any]:
    """The current entitlement as a CRM agent reads it: covered or not, program, from when to when, channels."""
    support = document.get("support") or {}
    status = str(document.get("status") or "")
    program = str(support.get("program") or "none")
    starts, expires = support.get("starts_on"), support.get("expires_on")
    if starts and expires:
        period = f"from {starts} through {last_day(expires)} (ends on {expires})"
    elif starts:
        period = f"from {starts}, no end date"
    else:
        period = "no start date yet"
    channels = list(support.get("channels") or [])
    product = document.get("product") or {}
    extras = [
        f"{support.get('hours')}" if support.get("hours") else "",
        "priority" if support.get("priority") else "",
        f"{support.get('ppi_credits')} Pay Per Incident credit(s)" if support.get("ppi_credits") else "",
        "recovery warranty" if support.get("recovery_warranty") else "",
        "free upgrades" if support.get("free_upgrades") else "",
    ]
    return {
        "covered": status == "active",
        "status": status,
        "status_words": STATUSES.get(status, status),
        "program": PROGRAMS.get(program, program),
        "period": period,
        "last_day": last_day(expires),
        "channels": channels,
        "channels_words": ", ".join(channels) if channels else "knowledge base only",
        "extras": [extra for extra in extras if extra],
        "product": f"{product.get('name', '')} {product.get('version', '')} ({product.get('line', '')})".strip(),
        "license": _words(document.get("license")),
        "account_id": document.get("account_id"),
        "contact": mask_document(document.get("contact"), "contact"),
        "revision": document.get("revision"),
    }


def timeline(revisions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each stored revision (oldest first in, newest first out) with the event that caused it and what changed."""
    shown = []
    previous: dict[str, Any] = {}
    for document in revisions:
        changes = [
            {
                "field": label,
                "from": _words(_get(previous, path)) if previous else None,
                "to": _words(_get(document, path)),
            }
            for label, path in WATCHED
            if not previous or _get(previous, path) != _get(document, path)
        ]
        if not previous:
            changes = [change for change in changes if change["to"] != "none"]
        shown.append(
            {
                "revision": document.get("revision"),
                "at": document.get("updated_at"),
                "event_id": document.get("last_event_id"),
                "status": document.get("status"),
                "changes": changes,
                # A revision can change what the timeline does not show, or send the same terms again: say so.
                "note": "no change to the fields shown here" if previous and not changes else None,
            }
        )
        previous = document
    return shown[::-1]
