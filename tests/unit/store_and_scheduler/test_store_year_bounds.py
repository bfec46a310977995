"""The store holds snapshots and holds records to the contract's years: one outside them is set aside with a reason."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from store_samples import FakeRecord, encoded, holds, snapshot

from consumers.store.holds import holds_record
from consumers.store.mapping import sort_batch
from lifecycle.rules.support import LAST_EXPIRY
from schemas.checks import FIRST_INSTANT, FIRST_YEAR, LAST_INSTANT, LAST_YEAR

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
    "support.starts_on": ["0001-01-01", "9999-12-31"],
    "purchased_at": ["0001-01-01T00:00:00+05:00", f"{LAST_YEAR}-12-31T23:00:00-05:00"],
    "registered_at": ["0001-01-01T00:00:00Z", "9999-12-31T23:00:00-05:00"],
}


@pytest.mark.parametrize(
    ("field", "value"), [(field, value) for field, values in SNAPSHOT_DATES.items() for value in values]
)
def test_a_snapshot_dated_outside_the_contracts_years_is_rejected_naming_the_field(field: str, value: str) -> None:
    [reason] = _rejected(ENTITLEMENTS, _with(field, value))
    assert reason.startswith(f"{field}: {value!r} is {YEARS}")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        *[("support.expires_on", day) for day in ("0001-01-01", f"{FIRST_YEAR - 1}-12-31", "2201-01-01", "9999-12-31")],
        ("updated_at", "0001-01-01T00:00:00+05:00"),
        ("updated_at", f"{FIRST_YEAR}-01-01T00:30:00+01:00"),
        ("updated_at", "2201-01-01T00:00:00Z"),
        ("updated_at", "9999-12-31T23:00:00-05:00"),
    ],
)
def test_a_change_outside_the_days_a_support_period_can_end_on_is_rejected(field: str, value: str) -> None:
    [reason] = _rejected(ENTITLEMENTS, _with(field, value))
    assert reason.startswith(f"{field}: {value!r} is outside {FIRST_YEAR}-01-01 through {LAST_EXPIRY}")


def test_a_snapshot_dated_at_the_edges_of_the_years_is_stored() -> None:
    # Stacked renewals end support after the events' last year, up to the rules' last expiry.
    document = _with("support.expires_on", LAST_EXPIRY.isoformat())
    document["support"]["starts_on"] = f"{FIRST_YEAR}-01-01"
    document.update(purchased_at=f"{FIRST_YEAR}-01-01T00:00:00Z", registered_at=None)
    document["updated_at"] = f"{LAST_EXPIRY.isoformat()}T00:00:00Z"  # the day the last support period ends
    batch = sort_batch([FakeRecord(ENTITLEMENTS, 0, 1, b"SN-1", encoded(document))], ENTITLEMENTS, RELEASES, HOLDS)
    assert [row.serial for row in batch.entitlements] == ["SN-1"]


OUTSIDE = ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00", "1989-12-31T23:00:00Z"]


@pytest.mark.parametrize("value", OUTSIDE)
def test_a_holds_record_listing_an_event_dated_outside_the_years_is_rejected(value: str) -> None:
    document = holds("SN-1", ("e1", "renewal", "2027-01-01T09:00:00Z"))
    document["held"][0]["occurred_at"] = value
    [reason] = _rejected(HOLDS, document)
    assert reason.startswith(f"held[0].occurred_at: {value!r} is {YEARS} (UTC)")


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        (OUTSIDE[0], FIRST_INSTANT),
        (OUTSIDE[1], LAST_INSTANT),
        (OUTSIDE[2], FIRST_INSTANT),
        ("0001-01-01T00:00:00Z", FIRST_INSTANT),  # the processor's arrival when a record has no time
        ("1969-12-31T23:59:59.999000Z", FIRST_INSTANT),  # a record time of -1
    ],
)
def test_an_arrival_outside_the_years_is_moved_into_them_and_the_hold_kept(value: str, kept: datetime) -> None:
    document = holds("SN-1", ("e1", "renewal", "2027-01-01T09:00:00Z"))
    document["held"][0]["since"] = value
    [row] = holds_record(encoded(document)).held
    assert row.held_since == kept


def test_a_holds_record_is_kept_in_utc() -> None:
    document = holds("SN-1", ("e1", "renewal", "2027-01-01T03:00:00+05:00"))
    document["held"][0]["occurred_at"] = "2026-12-31T20:00:00-05:00"
    [row] = holds_record(encoded(document)).held
    assert (row.held_since, row.occurred_at) == (
        datetime(2026, 12, 31, 22, tzinfo=UTC),
        datetime(2027, 1, 1, 1, tzinfo=UTC),
    )
    assert row.held_since.utcoffset() == row.occurred_at.utcoffset() == UTC.utcoffset(None)
