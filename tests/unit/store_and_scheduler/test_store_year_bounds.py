"""The store holds snapshots and holds records to the contract's years: one outside them is set aside with a reason."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from store_samples import FakeRecord, encoded, holds, snapshot

from consumers.store.holds import holds_record
from consumers.store.mapping import sort_batch
from schemas.checks import FIRST_YEAR, LAST_YEAR

pytestmark = pytest.mark.unit

ENTITLEMENTS, RELEASES, HOLDS = "p.entitlements", "p.releases", "p.holds"
YEARS = f"outside the years {FIRST_YEAR} through {LAST_YEAR}"


def _with(field: str, value: str) -> dict[str, Any]:
    document = snapshot("SN-1")
    if field.startswith("support."):
        document["support"][field.removeprefix("support.")] = value
    else:
        document[field] = value
    return document


def _rejected(topic: str, document: dict[str, Any]) -> list[str]:
    batch = sort_batch([FakeRecord(topic, 0, 1, b"SN-1", encoded(document))], ENTITLEMENTS, RELEASES, HOLDS)
    assert (batch.entitlements, batch.holds) == ([], [])
    return [rejected.reason for rejected in batch.rejected]


SNAPSHOT_DATES = {
    "support.expires_on": ["0001-01-01", f"{FIRST_YEAR - 1}-12-31", f"{LAST_YEAR + 1}-01-01", "9999-12-31"],
    "support.starts_on": ["0001-01-01", "9999-12-31"],
    "purchased_at": ["0001-01-01T00:00:00+05:00", f"{LAST_YEAR}-12-31T23:00:00-05:00"],
    "registered_at": ["0001-01-01T00:00:00Z", "9999-12-31T23:00:00-05:00"],
    "updated_at": ["0001-01-01T00:00:00+05:00", f"{FIRST_YEAR}-01-01T00:30:00+01:00"],
}


@pytest.mark.parametrize(
    ("field", "value"), [(field, value) for field, values in SNAPSHOT_DATES.items() for value in values]
)
def test_a_snapshot_dated_outside_the_contracts_years_is_rejected_naming_the_field(field: str, value: str) -> None:
    [reason] = _rejected(ENTITLEMENTS, _with(field, value))
    assert reason.startswith(f"{field}: {value!r} is {YEARS}")


def test_a_snapshot_dated_at_the_edges_of_the_years_is_stored() -> None:
    document = _with("support.expires_on", f"{LAST_YEAR}-12-31")
    document["support"]["starts_on"] = f"{FIRST_YEAR}-01-01"
    document.update(purchased_at=f"{FIRST_YEAR}-01-01T00:00:00Z", registered_at=None)
    batch = sort_batch([FakeRecord(ENTITLEMENTS, 0, 1, b"SN-1", encoded(document))], ENTITLEMENTS, RELEASES, HOLDS)
    assert [row.serial for row in batch.entitlements] == ["SN-1"]


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00", "1989-12-31T23:00:00Z"])
@pytest.mark.parametrize("field", ["since", "occurred_at"])
def test_a_holds_record_held_outside_the_contracts_years_is_rejected_naming_the_field(field: str, value: str) -> None:
    document = holds("SN-1", ("e1", "renewal", "2027-01-01T09:00:00Z"))
    document["held"][0][field] = value
    [reason] = _rejected(HOLDS, document)
    assert reason.startswith(f"held[0].{field}: {value!r} is {YEARS} (UTC)")


def test_a_holds_record_is_kept_in_utc() -> None:
    document = holds("SN-1", ("e1", "renewal", "2027-01-01T03:00:00+05:00"))
    document["held"][0]["occurred_at"] = "2026-12-31T20:00:00-05:00"
    [row] = holds_record(encoded(document)).held
    assert (row.held_since, row.occurred_at) == (
        datetime(2026, 12, 31, 22, tzinfo=UTC),
        datetime(2027, 1, 1, 1, tzinfo=UTC),
    )
    assert row.held_since.utcoffset() == row.occurred_at.utcoffset() == UTC.utcoffset(None)
