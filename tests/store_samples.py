"""Sample entitlement snapshots, release events and holds documents for the store and scheduler tests."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import orjson

_SNAPSHOT: dict[str, Any] = {
    "serial": "SN-1",
    "account_id": "acct-1",
    "revision": 1,
    "product": {"sku": "BK-11", "name": "Backup 11.5", "line": "business", "family": "backup", "version": "11.5"},
    "channel": "online_store",
    "license": {"type": "perpetual", "quantity": 1, "unit": "os_instance"},
    "status": "active",
    "purchased_at": "2026-03-15T10:20:00Z",
    "registered_at": None,
    "support": {
        "program": "advantage_premier",
        "starts_on": "2026-03-15",
        "expires_on": "2027-03-15",
        "channels": ["chat", "email", "phone"],
        "hours": "24x7",
        "priority": True,
        "ppi_credits": 0,
        "recovery_warranty": False,
        "free_upgrades": True,
    },
    "pending_renewals": [],
    "upgraded_from": None,
    "upgraded_to": None,
    "version_supported": True,
    "updated_at": "2026-03-15T10:20:00Z",
    "last_event_id": "evt-1",
}


def snapshot(
    serial: str = "SN-1",
    revision: int = 1,
    *,
    status: str = "active",
    expires_on: str | None = "2027-03-15",
    family: str = "backup",
    version: str = "11.5",
    **fields: Any,
) -> dict[str, Any]:
    """A valid entitlement snapshot; keyword arguments override top-level fields."""
    document = copy.deepcopy(_SNAPSHOT)
    document.update(serial=serial, revision=revision, status=status, **fields)
    document["support"]["expires_on"] = expires_on
    document["product"].update(family=family, version=version)
    return document


def release(family: str, version: str, released_on: str, line: str = "business") -> dict[str, Any]:
    """A valid release event."""
    return {
        "event_id": f"rel-{family}-{version}",
        "type": "release",
        "schema_version": 1,
        "occurred_at": f"{released_on}T08:00:00Z",
        "source": "release-management",
        "product": {"line": line, "family": family, "version": version},
        "released_on": released_on,
    }


def holds(serial: str, *held: tuple[str, str, str]) -> dict[str, Any]:
    """A valid holds document: (event_id, type, since) per held event, each occurred on 2025-03-01."""
    return {
        "schema_version": 1,
        "serial": serial,
        "held": [
            {"event_id": event_id, "type": kind, "occurred_at": "2025-03-01T10:00:00Z", "since": since}
            for event_id, kind, since in held
        ],
    }


def encoded(document: dict[str, Any]) -> bytes:
    """A document as the bytes on the topic."""
    return orjson.dumps(document)


@dataclass(frozen=True)
class FakeRecord:
    """A consumed Kafka record as the store reads it."""

    topic: str
    partition: int
    offset: int
    key: bytes | None = None
    value: bytes | None = None
