"""Sample entitlement snapshots, release events and holds documents for the store and scheduler tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from examples import example


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
    """The contract's example snapshot, bought on 2026-03-15 by acct-1; keyword arguments override top-level fields."""
    document = example("entitlement")
    bought = "2026-03-15T10:20:00Z"
    document.update({"account_id": "acct-1", "purchased_at": bought, "updated_at": bought})
    document.update(serial=serial, revision=revision, status=status, **fields)
    document["support"].update(starts_on="2026-03-15", expires_on=expires_on)
    document["product"].update(family=family, version=version)
    return document


def release(family: str, version: str, released_on: str, line: str = "business") -> dict[str, Any]:
    """The contract's example release event, of `family` `version` released on `released_on`."""
    event = example("release")
    event.update(event_id=f"rel-{family}-{version}", occurred_at=f"{released_on}T08:00:00Z", released_on=released_on)
    event["product"] = {"line": line, "family": family, "version": version}
    return event


def holds(serial: str, *held: tuple[str, str, str]) -> dict[str, Any]:
    """The contract's example holds document for `serial`: (event_id, type, since) per held event."""
    document = example("holds", "renewal-waits")
    entry = document["held"][0]  # each held event occurred when the example's did
    document.update(serial=serial, held=[{**entry, "event_id": e, "type": t, "since": s} for e, t, s in held])
    return document


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
