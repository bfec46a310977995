"""What the store refuses at the door: snapshots and holds beyond the events' bounds, newer versions, misrouted keys."""

from __future__ import annotations

import pytest
from kafka.partitioner import murmur2
from store_samples import FakeRecord, encoded, holds, snapshot

from consumers.store.holds import holds_record, newest_holds
from consumers.store.mapping import entitlement_row, sort_batch
from schemas import InvalidMessage

pytestmark = pytest.mark.unit

ENTITLEMENTS, RELEASES, HOLDS = "p.entitlements", "p.releases", "p.holds"
PARTITIONS = 6
NEWER = (
    "schema_version: 2 is newer than this pipeline understands (1): upgrade the pipeline, "
    "then `lifecycle redrive --reason 'newer than this pipeline understands'`"
)
SINCE = "2026-03-15T10:00:00Z"


def key_partition(key: bytes, partitions: int) -> int:
    """The partition Java's, kafka-python's and aiokafka's murmur2 partitioner gives `key`."""
    return (int(murmur2(key)) & 0x7FFFFFFF) % partitions


def _sorted(*records: FakeRecord, partitions: int | None = None) -> tuple[list[str], list[tuple[int, str]]]:
    """The serials kept (snapshots, then holds) and the (offset, reason) of each record rejected."""
    batch = sort_batch(records, ENTITLEMENTS, RELEASES, HOLDS, *([] if partitions is None else [partitions]))
    kept = [row.serial for row in batch.entitlements] + [h.serial for h in batch.holds]
    return kept, [(item.record.offset, item.reason) for item in batch.rejected]


@pytest.mark.parametrize(
    "contact",
    [
        {"email": "x" * 4000 + "@example.com"},  # over 254 characters: past PostgreSQL's btree entry limit
        {"email": "pat@exa mple.com"},
        {"email": "pat@example.com", "name": "P" * 201},
        {"email": "pat@example.com", "name": "Pat\u0085"},
    ],
)
def test_a_snapshot_contact_beyond_the_events_bounds_is_refused(contact: dict[str, str]) -> None:
    with pytest.raises(InvalidMessage, match=r"^contact: "):  # a nullable object: the schema names the field
        entitlement_row(encoded(snapshot(contact=contact)))
    entitlement_row(encoded(snapshot(contact={"email": "p" * 242 + "@example.com", "name": "P" * 200})))


@pytest.mark.parametrize(
    ("serial", "problem"),
    [
        ("Z" * 65, "must be shorter than or equal to 64 characters"),
        ("SN-\u0085X", "must not contain control characters"),
    ],
)
def test_a_snapshot_or_holds_serial_no_tick_can_be_made_of_is_refused(serial: str, problem: str) -> None:
    with pytest.raises(InvalidMessage, match=f"^serial: {problem}"):
        entitlement_row(encoded(snapshot(serial)))
    with pytest.raises(InvalidMessage, match=f"^serial: {problem}"):
        holds_record(encoded(holds(serial)))
    with pytest.raises(InvalidMessage, match=r"^upgraded_to: "):  # nullable: the schema names the field
        entitlement_row(encoded(snapshot(upgraded_to=serial)))


def test_a_snapshot_or_holds_of_a_newer_schema_version_is_set_aside_naming_the_version_and_the_remedy() -> None:
    newer_snapshot = {**snapshot("SN-1"), "schema_version": 2, "status": "a status of version 2"}
    kept, rejected = _sorted(
        FakeRecord(ENTITLEMENTS, 0, 1, b"SN-1", encoded(newer_snapshot)),
        FakeRecord(HOLDS, 0, 2, b"SN-2", encoded({**holds("SN-2"), "schema_version": 2})),
        FakeRecord(ENTITLEMENTS, 0, 3, b"SN-3", encoded(snapshot("SN-3", schema_version=1))),
    )
    assert kept == ["SN-3"]
    assert rejected == [(1, NEWER), (2, NEWER)]


def test_a_snapshot_or_holds_record_whose_key_is_not_its_serial_is_dead_lettered() -> None:
    kept, rejected = _sorted(
        FakeRecord(ENTITLEMENTS, 0, 1, b"SOMEONE-ELSE", encoded(snapshot("SN-1"))),
        FakeRecord(HOLDS, 0, 2, None, encoded(holds("SN-2"))),
        FakeRecord(HOLDS, 0, 3, b"\xff" + b"K" * 200, encoded(holds("SN-3"))),
        FakeRecord(ENTITLEMENTS, 0, 4, b"SN-4", encoded(snapshot("SN-4"))),
    )
    assert kept == ["SN-4"]
    assert [offset for offset, _ in rejected] == [1, 2, 3]
    assert rejected[0][1] == (
        "key: 'SOMEONE-ELSE' is not the document's serial 'SN-1'; its producer must key each record by its serial"
    )
    assert rejected[1][1].startswith("key: None is not the document's serial 'SN-2'")
    assert rejected[2][1].startswith("key: '\\\\xff" + "K" * 76 + "... (204 characters)' is not")


def test_a_misrouted_older_holds_record_on_a_higher_partition_does_not_replace_the_newer_list() -> None:
    own = key_partition(b"SN-1", PARTITIONS)
    other = max(set(range(PARTITIONS)) - {own})
    newer = FakeRecord(HOLDS, own, 900, b"SN-1", encoded(holds("SN-1")))  # nothing waits any more
    older = encoded(holds("SN-1", ("ev-1", "renewal", SINCE)))
    records = [
        newer,
        FakeRecord(HOLDS, other, 3, b"OTHER", older),  # keyed by another serial
        FakeRecord(HOLDS, other, 4, b"SN-1", older),  # keyed right, partitioned by another partitioner
    ]
    batch = sort_batch(records, ENTITLEMENTS, RELEASES, HOLDS, PARTITIONS)

    [kept] = newest_holds(batch.holds)
    assert (kept.partition, kept.offset, kept.held) == (own, 900, ())
    assert [item.record.offset for item in batch.rejected] == [3, 4]
    assert batch.rejected[1].reason == (
        f"partition: a record keyed 'SN-1' belongs on partition {own} of p.holds (murmur2 of its key, "
        f"{PARTITIONS} partitions), not {other}; its producer must partition by murmur2"
    )


def test_holds_records_of_a_serial_on_its_own_partition_are_kept_by_offset() -> None:
    own = key_partition(b"SN-1", PARTITIONS)
    records = [
        FakeRecord(HOLDS, own, 8, b"SN-1", encoded(holds("SN-1", ("ev-2", "upgrade", SINCE)))),
        FakeRecord(HOLDS, own, 7, b"SN-1", encoded(holds("SN-1", ("ev-1", "renewal", SINCE)))),
    ]
    batch = sort_batch(records, ENTITLEMENTS, RELEASES, HOLDS, PARTITIONS)
    [kept] = newest_holds(batch.holds)
    assert (batch.rejected, kept.offset, [row.event_id for row in kept.held]) == ([], 8, ["ev-2"])
