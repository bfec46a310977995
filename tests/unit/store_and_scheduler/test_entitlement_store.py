"""The store's batch handler on the in-memory repository: rows written, what cannot be understood dead-lettered."""

from __future__ import annotations

from typing import Any

import psycopg2
import pytest
from fake_deadletters import FakeDeadLetters
from store_fakes import FakeEntitlements
from store_samples import FakeRecord, encoded, holds, release, snapshot

from consumers.store.mapping import Batch
from consumers.store.sink import EntitlementStore

pytestmark = pytest.mark.unit

ENTITLEMENTS, RELEASES, HOLDS = "p.entitlements", "p.releases", "p.holds"


class RefusingEntitlements(FakeEntitlements):
    """Refuses, as PostgreSQL refuses a value it cannot store, every batch holding serial SN-BAD."""

    def write(self, batch: Batch) -> int:
        if any(row.serial == "SN-BAD" for row in batch.entitlements):
            raise psycopg2.DataError("value out of range\nDETAIL: more")
        return super().write(batch)


def _store(repository: FakeEntitlements, letters: FakeDeadLetters) -> EntitlementStore:
    return EntitlementStore(
        repository, letters, entitlements_topic=ENTITLEMENTS, releases_topic=RELEASES, holds_topic=HOLDS
    )


def _record(topic: str, offset: int, document: dict[str, Any] | None = None, raw: bytes = b"") -> FakeRecord:
    """A record keyed as its producer keys it: by the document's serial (a release by its family)."""
    if document is None:
        return FakeRecord(topic, 0, offset, b"k", raw)
    key = document.get("serial") or document["product"]["family"]
    return FakeRecord(topic, 0, offset, key.encode(), encoded(document))


def test_a_batch_is_written_and_what_cannot_be_understood_is_dead_lettered() -> None:
    repository, letters = FakeEntitlements(), FakeDeadLetters()
    broken = _record(ENTITLEMENTS, 1, raw=b"{not json")
    elsewhere = _record("p.other", 0, snapshot("SN-9"))

    _store(repository, letters)(
        [
            _record(ENTITLEMENTS, 0, snapshot("SN-1", 2)),
            broken,
            _record(RELEASES, 0, release("backup", "12", "2026-06-01")),
            _record(HOLDS, 0, holds("SN-2", ("rn-1", "renewal", "2026-12-01T09:00:00Z"))),
            elsewhere,
        ]
    )

    assert repository.revisions("SN-1") == [2]
    assert repository.release("backup", "12") is not None
    assert [row.event_id for row in repository.held("SN-2")] == ["rn-1"]
    assert [record for record, _ in letters.records] == [broken, elsewhere]
    assert letters.records[0][1].startswith("not JSON")
    assert letters.records[1][1] == "topic: the store does not read 'p.other'"


def test_a_row_the_database_refuses_is_dead_lettered_and_the_rest_of_the_batch_written() -> None:
    repository, letters = RefusingEntitlements(), FakeDeadLetters()
    refused = _record(ENTITLEMENTS, 1, snapshot("SN-BAD"))
    records = [_record(ENTITLEMENTS, 0, snapshot("SN-1")), refused, _record(ENTITLEMENTS, 2, snapshot("SN-2"))]

    _store(repository, letters)(records)

    assert (repository.revisions("SN-1"), repository.revisions("SN-2")) == ([1], [1])
    assert repository.current("SN-BAD") is None
    assert letters.records == [(refused, "refused by PostgreSQL: value out of range")]


def test_closing_the_store_closes_its_repository() -> None:
    repository = FakeEntitlements()
    _store(repository, FakeDeadLetters()).close()
    assert repository.closed
