"""Holds records as held_events rows: validation, the newest record per serial, routing by topic."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from store_samples import FakeRecord, encoded, holds, snapshot

from consumers.store.holds import Holds, holds_record, newest_holds
from consumers.store.mapping import sort_batch
from schemas import InvalidMessage

pytestmark = pytest.mark.unit

EXAMPLES = Path(__file__).parents[3] / "schemas" / "examples" / "holds"
ENTITLEMENTS, RELEASES, HOLDS = "p.entitlements", "p.releases", "p.holds"


def test_a_holds_record_maps_every_held_event_to_a_row() -> None:
    record = holds_record((EXAMPLES / "valid" / "renewal-waits.json").read_bytes(), partition=2, offset=9)
    assert (record.serial, record.partition, record.offset) == ("SN-0040", 2, 9)
    [row] = record.held
    assert (row.serial, row.event_id, row.type) == ("SN-0040", "rn-0040", "renewal")
    assert row.occurred_at == datetime(2025, 3, 1, 10, tzinfo=UTC)
    assert row.held_since == datetime(2026, 12, 1, 9, tzinfo=UTC)


def test_an_empty_list_means_nothing_waits() -> None:
    record = holds_record((EXAMPLES / "valid" / "nothing-waits.json").read_bytes())
    assert (record.serial, record.held) == ("SN-0040", ())


def test_an_event_listed_twice_is_one_row() -> None:
    document = holds("SN-1", ("e1", "renewal", "2027-01-01T00:00:00Z"), ("e1", "renewal", "2027-01-02T00:00:00Z"))
    [row] = holds_record(encoded(document)).held
    assert row.held_since == datetime(2027, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ((EXAMPLES / "invalid" / "no-since.json").read_bytes(), "since"),
        (b"{not json", "not JSON"),
        (None, "tombstone"),
        (b"[]", "expected a JSON object"),
        (encoded(holds("SN-1", ("e1", "tick", "2027-01-01T00:00:00Z"))), "type"),
        (encoded(holds("SN-1", ("e1", "renewal", "2027-02-30T00:00:00Z"))), r"held\[0\]\.since"),
        (encoded(holds("SN-1", ("e\x00", "renewal", "2027-01-01T00:00:00Z"))), "NUL"),
        (encoded(snapshot("SN-1")), "held"),
    ],
)
def test_what_the_store_cannot_keep_is_invalid(raw: bytes | None, reason: str) -> None:
    with pytest.raises(InvalidMessage, match=reason):
        holds_record(raw)


def test_the_newest_record_of_a_serial_wins_whatever_the_batch_order() -> None:
    records = [
        Holds("A", (), partition=1, offset=7),
        Holds("B", (), partition=0, offset=3),
        Holds("A", (), partition=1, offset=9),
        Holds("A", (), partition=1, offset=8),  # read again after a rebalance: older than offset 9
    ]
    assert [(r.serial, r.offset) for r in newest_holds(records)] == [("A", 9), ("B", 3)]


def test_a_batch_sorts_holds_records_from_their_topic() -> None:
    records = [
        FakeRecord(HOLDS, 3, 10, b"SN-1", encoded(holds("SN-1", ("e1", "upgrade", "2027-01-01T00:00:00Z")))),
        FakeRecord(HOLDS, 3, 11, b"SN-2", b"{oops"),
        FakeRecord(ENTITLEMENTS, 0, 4, b"SN-3", encoded(snapshot("SN-3"))),
    ]
    batch = sort_batch(records, ENTITLEMENTS, RELEASES, HOLDS)
    assert [(h.serial, h.partition, h.offset, len(h.held)) for h in batch.holds] == [("SN-1", 3, 10, 1)]
    assert [row.serial for row in batch.entitlements] == ["SN-3"]
    assert [(item.record.offset, item.reason.split(":")[0]) for item in batch.rejected] == [(11, "not JSON")]
