"""Row mapping, validation and per-batch deduplication of the entitlement store."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from examples import example
from kafka import TopicPartition
from store_samples import FakeRecord, encoded, release, snapshot

from consumers.kafka_loop import offsets_to_commit
from consumers.store.mapping import (
    distinct_revisions,
    entitlement_row,
    last_per_version,
    newest_per_serial,
    release_row,
    sort_batch,
)
from schemas import InvalidMessage

pytestmark = pytest.mark.unit

ENTITLEMENTS, RELEASES = "p.entitlements", "p.releases"


def test_a_snapshot_maps_to_the_query_columns_and_keeps_the_document() -> None:
    raw = encoded(snapshot("SN-9", 4, expires_on="2027-01-31"))
    row = entitlement_row(raw)
    assert (row.serial, row.account_id, row.status, row.program) == ("SN-9", "acct-1", "active", "advantage_premier")
    assert (row.line, row.family, row.version, row.channel) == ("business", "backup", "11.5", "online_store")
    assert (row.starts_on, row.expires_on) == (date(2026, 3, 15), date(2027, 1, 31))
    assert row.version_supported is True
    assert row.revision == 4
    assert row.updated_at == datetime(2026, 3, 15, 10, 20, tzinfo=UTC)
    assert row.document == raw.decode()


def test_a_snapshot_without_dates_maps_to_nulls() -> None:
    document = snapshot(status="pending_registration", expires_on=None)
    document["support"]["starts_on"] = None
    row = entitlement_row(encoded(document))
    assert (row.starts_on, row.expires_on) == (None, None)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"not json", "not JSON"),
        (b"\xff\xfe", "not UTF-8"),
        (None, "tombstone"),
        (b"[1, 2]", "expected a JSON object"),
        (encoded({**snapshot(), "revision": 0}), "revision"),
        (encoded({**snapshot(), "status": "lost"}), "status"),
        (encoded(snapshot(expires_on="2027-02-30")), "support.expires_on"),
        (encoded({**snapshot(), "revision": 2**63}), "revision"),
        (encoded({**snapshot(), "last_event_id": "a\x00b"}), "NUL"),
    ],
)
def test_what_the_store_cannot_store_is_invalid(raw: bytes | None, reason: str) -> None:
    with pytest.raises(InvalidMessage, match=reason):
        entitlement_row(raw)


def test_an_escaped_backslash_u0000_is_plain_text_and_accepted() -> None:
    row = entitlement_row(encoded({**snapshot(), "account_id": "a\\u0000b"}))
    assert row.account_id == "a\\u0000b"


def test_a_release_maps_to_its_catalog_columns() -> None:
    row = release_row(encoded(release("backup", "12", "2026-06-01")))
    assert (row.family, row.version, row.line, row.released_on) == ("backup", "12", "business", date(2026, 6, 1))


def test_a_non_release_event_on_the_releases_topic_is_invalid() -> None:
    tick = example("tick")
    with pytest.raises(InvalidMessage, match="expected 'release'"):
        release_row(encoded(tick))


def test_a_batch_keeps_the_highest_revision_per_serial_whatever_the_order() -> None:
    rows = [entitlement_row(encoded(snapshot(serial, rev))) for serial, rev in [("A", 2), ("B", 1), ("A", 5), ("A", 3)]]
    newest = newest_per_serial(rows)
    assert [(row.serial, row.revision) for row in newest] == [("A", 5), ("B", 1)]


def test_a_batch_keeps_every_distinct_revision_once_for_the_history() -> None:
    rows = [entitlement_row(encoded(snapshot("A", rev))) for rev in (2, 1, 2, 3)]
    assert [row.revision for row in distinct_revisions(rows)] == [1, 2, 3]


def test_the_last_announcement_of_a_version_wins() -> None:
    first = release_row(encoded(release("backup", "12", "2026-06-01")))
    corrected = release_row(encoded(release("backup", "12", "2026-06-08")))
    assert last_per_version([first, corrected]) == [corrected]


def test_sorting_a_batch_separates_rows_from_rejects() -> None:
    records = [
        FakeRecord(ENTITLEMENTS, 0, 10, b"SN-1", encoded(snapshot("SN-1"))),
        FakeRecord(ENTITLEMENTS, 0, 11, b"SN-2", b"{oops"),
        FakeRecord(RELEASES, 0, 3, b"backup", encoded(release("backup", "12", "2026-06-01"))),
        FakeRecord("p.other", 0, 1, None, b"{}"),
    ]
    batch = sort_batch(records, ENTITLEMENTS, RELEASES, "p.holds")
    assert [row.serial for row in batch.entitlements] == ["SN-1"]
    assert [row.version for row in batch.releases] == ["12"]
    assert [(item.record.offset, item.reason.split(":")[0]) for item in batch.rejected] == [
        (11, "not JSON"),
        (1, "topic"),
    ]


def test_offsets_to_commit_are_one_past_the_highest_per_partition() -> None:
    records = [FakeRecord("t", 0, 5, None, None), FakeRecord("t", 1, 9, None, None), FakeRecord("t", 0, 7, None, None)]
    offsets = offsets_to_commit(records)
    assert {tp: om.offset for tp, om in offsets.items()} == {TopicPartition("t", 0): 8, TopicPartition("t", 1): 10}
