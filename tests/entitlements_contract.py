"""What every entitlement repository (consumers/store/entitlements.py) does: one suite for the fake and the real one.

A subclass named `Test...` provides the `repository` fixture, an empty repository of its kind:
tests/unit/store_and_scheduler/test_fake_entitlements.py runs the suite against FakeEntitlements, and
tests/integration/store_and_scheduler/test_postgres_entitlements.py against PostgresEntitlements on a migrated
PostgreSQL. Import it as `from entitlements_contract import EntitlementsContract` (tests/ is on sys.path through
tests/conftest.py).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import UTC, date, datetime

import pytest
from store_samples import encoded, holds, release, snapshot

from consumers.store.entitlements import EntitlementRepository
from consumers.store.holds import HeldRow, holds_record
from consumers.store.mapping import Batch, ReleaseRow, entitlement_row, release_row

SINCE = "2026-12-01T09:00:00Z"


def snapshots(*versions: tuple[str, int]) -> Batch:
    """A batch of the sample snapshot of each (serial, revision), its last event named after the revision."""
    rows = [entitlement_row(encoded(snapshot(s, r, last_event_id=f"e{r}"))) for s, r in versions]
    return Batch(entitlements=rows)


def releases(*dated: tuple[str, str, str, str]) -> Batch:
    """A batch of the sample release of each (family, version, released_on, event_id)."""
    documents = [{**release(family, version, on), "event_id": event_id} for family, version, on, event_id in dated]
    return Batch(releases=[release_row(encoded(document)) for document in documents])


def held_events(serial: str, *event_ids: str, offset: int = 0) -> Batch:
    """A batch of one holds record of `serial` listing renewals `event_ids`, at `offset` of partition 0."""
    document = holds(serial, *[(event_id, "renewal", SINCE) for event_id in event_ids])
    return Batch(holds=[holds_record(encoded(document), 0, offset)])


class EntitlementsContract(ABC):
    """The newest revision is current, every revision is history, releases are upserted, holds are replaced."""

    @pytest.fixture
    @abstractmethod
    def repository(self) -> EntitlementRepository:
        """An empty repository of the kind under test."""

    def test_an_empty_repository_knows_nothing(self, repository: EntitlementRepository) -> None:
        assert repository.current("SN-1") is None
        assert repository.revisions("SN-1") == []
        assert repository.release("backup", "12") is None
        assert repository.held("SN-1") == []
        assert repository.write(Batch()) == 0

    def test_a_new_snapshot_becomes_current_and_history(self, repository: EntitlementRepository) -> None:
        assert repository.write(snapshots(("SN-1", 1))) == 1

        assert repository.current("SN-1") == snapshot("SN-1", 1, last_event_id="e1")
        assert repository.revisions("SN-1") == [1]

    def test_a_batch_keeps_the_highest_revision_current_and_every_revision_once(
        self, repository: EntitlementRepository
    ) -> None:
        changed = repository.write(snapshots(("SN-1", 1), ("SN-2", 1), ("SN-1", 3), ("SN-1", 2), ("SN-1", 3)))

        assert changed == 2
        assert (repository.current("SN-1") or {})["last_event_id"] == "e3"
        assert repository.revisions("SN-1") == [1, 2, 3]
        assert repository.revisions("SN-2") == [1]

    def test_a_higher_revision_replaces_the_current_snapshot(self, repository: EntitlementRepository) -> None:
        repository.write(snapshots(("SN-1", 1)))

        assert repository.write(snapshots(("SN-1", 2))) == 1
        assert (repository.current("SN-1") or {})["revision"] == 2

    def test_a_stale_or_repeated_snapshot_changes_nothing_current_but_joins_the_history(
        self, repository: EntitlementRepository
    ) -> None:
        repository.write(snapshots(("SN-1", 3)))
        stale = Batch(entitlements=[entitlement_row(encoded(snapshot("SN-1", 2, status="expired")))])

        assert repository.write(stale) == 0
        assert repository.write(snapshots(("SN-1", 3))) == 0
        assert repository.current("SN-1") == snapshot("SN-1", 3, last_event_id="e3")
        assert repository.revisions("SN-1") == [2, 3]

    def test_a_release_is_kept_and_a_later_one_of_the_same_version_replaces_it(
        self, repository: EntitlementRepository
    ) -> None:
        assert repository.write(releases(("backup", "12", "2026-06-01", "rel-1"))) == 0  # a release is no serial
        assert repository.release("backup", "12") == ReleaseRow("backup", "12", "business", date(2026, 6, 1), "rel-1")

        repository.write(releases(("backup", "12", "2026-07-01", "rel-2"), ("backup", "13", "2027-01-01", "rel-3")))
        assert repository.release("backup", "12") == ReleaseRow("backup", "12", "business", date(2026, 7, 1), "rel-2")
        assert repository.release("backup", "13") == ReleaseRow("backup", "13", "business", date(2027, 1, 1), "rel-3")

    def test_a_repeated_release_under_another_event_id_keeps_the_first(self, repository: EntitlementRepository) -> None:
        repository.write(releases(("backup", "12", "2026-06-01", "rel-1")))
        repository.write(releases(("backup", "12", "2026-06-01", "rel-again")))

        assert repository.release("backup", "12") == ReleaseRow("backup", "12", "business", date(2026, 6, 1), "rel-1")

    def test_held_events_become_those_of_the_newest_holds_record(self, repository: EntitlementRepository) -> None:
        assert repository.write(held_events("SN-1", "rn-1", "rn-2")) == 1
        assert [row.event_id for row in repository.held("SN-1")] == ["rn-1", "rn-2"]

        assert repository.write(held_events("SN-1", "rn-2", "rn-3", offset=1)) == 1
        assert repository.held("SN-1") == [
            HeldRow(
                "SN-1", event_id, "renewal", datetime(2025, 3, 1, 10, tzinfo=UTC), datetime(2026, 12, 1, 9, tzinfo=UTC)
            )
            for event_id in ("rn-2", "rn-3")
        ]

    def test_a_repeated_holds_record_changes_nothing(self, repository: EntitlementRepository) -> None:
        repository.write(held_events("SN-1", "rn-1"))

        assert repository.write(held_events("SN-1", "rn-1")) == 0
        assert [row.event_id for row in repository.held("SN-1")] == ["rn-1"]

    def test_a_holds_record_listing_nothing_releases_every_held_event(self, repository: EntitlementRepository) -> None:
        repository.write(held_events("SN-1", "rn-1", "rn-2"))
        repository.write(held_events("SN-2", "rn-9"))

        assert repository.write(held_events("SN-1", offset=1)) == 1
        assert repository.held("SN-1") == []
        assert [row.event_id for row in repository.held("SN-2")] == ["rn-9"]

    def test_of_two_holds_records_in_a_batch_the_later_offset_counts(self, repository: EntitlementRepository) -> None:
        later, earlier = held_events("SN-1", "rn-2", offset=8), held_events("SN-1", "rn-1", offset=7)

        assert repository.write(Batch(holds=later.holds + earlier.holds)) == 1
        assert [row.event_id for row in repository.held("SN-1")] == ["rn-2"]

    def test_one_batch_writes_snapshots_releases_and_holds_and_counts_the_serials_changed(
        self, repository: EntitlementRepository
    ) -> None:
        batch = snapshots(("SN-1", 1), ("SN-2", 4))
        batch.releases.extend(releases(("backup", "12", "2026-06-01", "rel-1")).releases)
        batch.holds.extend(held_events("SN-3", "rn-1").holds)

        assert repository.write(batch) == 3
        assert (repository.current("SN-2") or {})["revision"] == 4
        assert repository.release("backup", "12") is not None
        assert [row.event_id for row in repository.held("SN-3")] == ["rn-1"]
