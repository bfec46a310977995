"""The entitlement repository port: where the store keeps snapshots, their history, releases and held events."""

from __future__ import annotations

from typing import Any, Protocol

from consumers.store.holds import HeldRow
from consumers.store.mapping import Batch, ReleaseRow


class EntitlementRepository(Protocol):
    """Writes a batch in one transaction, each fact idempotently, and reads back what it keeps.

    `write` returns how many serials changed: entitlements whose current snapshot was replaced by a higher revision
    (or created), plus serials whose held events changed. A stale or repeated snapshot changes nothing, but every
    revision seen is kept in the history. Releases are upserted per (family, version), the last in the batch
    winning. A serial's held events become those of its newest holds record in the batch.
    """

    def write(self, batch: Batch) -> int: ...

    def current(self, serial: str) -> dict[str, Any] | None:
        """The serial's current snapshot document, or None."""
        ...

    def revisions(self, serial: str) -> list[int]:
        """The revisions kept in the serial's history, ascending."""
        ...

    def release(self, family: str, version: str) -> ReleaseRow | None:
        """The release of `family` `version`, or None."""
        ...

    def held(self, serial: str) -> list[HeldRow]:
        """The serial's held events, by event id."""
        ...

    def close(self) -> None: ...
