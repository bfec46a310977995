"""The entitlement repository in memory, held to PostgresEntitlements by tests/entitlements_contract.py."""

from __future__ import annotations

import copy
from typing import Any

import orjson

from consumers.store.holds import HeldRow, newest_holds
from consumers.store.mapping import Batch, ReleaseRow, distinct_revisions, last_per_version, newest_per_serial


class FakeEntitlements:
    """Current snapshots, the revision history, releases and held events in dictionaries."""

    def __init__(self) -> None:
        self.current_documents: dict[str, dict[str, Any]] = {}
        self.current_revisions: dict[str, int] = {}
        self.history: dict[tuple[str, int], dict[str, Any]] = {}
        self.releases: dict[tuple[str, str], ReleaseRow] = {}
        self.held_events: dict[str, dict[str, HeldRow]] = {}
        self.closed = False

    def write(self, batch: Batch) -> int:
        changed = 0
        for row in newest_per_serial(batch.entitlements):
            if row.revision > self.current_revisions.get(row.serial, 0):
                self.current_documents[row.serial] = orjson.loads(row.document)
                self.current_revisions[row.serial] = row.revision
                changed += 1
        for row in distinct_revisions(batch.entitlements):
            self.history.setdefault((row.serial, row.revision), orjson.loads(row.document))
        for release in last_per_version(batch.releases):
            kept = self.releases.get((release.family, release.version))
            if kept is None or (kept.line, kept.released_on) != (release.line, release.released_on):
                self.releases[(release.family, release.version)] = release
        for record in newest_holds(batch.holds):
            before = self.held_events.get(record.serial, {})
            after = {row.event_id: row for row in record.held}
            if after != before:
                changed += 1
            if after:
                self.held_events[record.serial] = after
            else:
                self.held_events.pop(record.serial, None)
        return changed

    def current(self, serial: str) -> dict[str, Any] | None:
        document = self.current_documents.get(serial)
        return None if document is None else copy.deepcopy(document)

    def revisions(self, serial: str) -> list[int]:
        return sorted(revision for kept, revision in self.history if kept == serial)

    def release(self, family: str, version: str) -> ReleaseRow | None:
        return self.releases.get((family, version))

    def held(self, serial: str) -> list[HeldRow]:
        return [row for _, row in sorted(self.held_events.get(serial, {}).items())]

    def close(self) -> None:
        self.closed = True
