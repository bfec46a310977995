"""Results the rules make once and hand out again: they must equal what making them anew gives."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from lifecycle.rules import Policy, Release, catalog_from_releases
from lifecycle.rules.calendar import iso_day
from lifecycle.rules.entitlement import Entitlement
from lifecycle.rules.timeflow import next_transition_at
from lifecycle.samples import events as ev

pytestmark = pytest.mark.unit


def test_a_day_is_written_as_iso_text_once() -> None:
    days = [date(2026, 3, 1), date(1, 1, 1), date(9999, 12, 31)]
    assert [iso_day(day) for day in days] == ["2026-03-01", "0001-01-01", "9999-12-31"]
    assert iso_day(date(2026, 3, 1)) is iso_day(date(2026, 3, 1))


def _entitlement() -> Entitlement:
    return Entitlement(
        serial="S",
        account_id="a",
        product=ev.product("true-image", "2025"),
        channel="online_store",
        license={"type": "perpetual", "quantity": 1, "unit": "machine"},
        purchased_at="2025-01-01T00:00:00Z",
        purchased_on=date(2025, 1, 1),
        status="active",
        program="home_perpetual",
        starts_on=date(2025, 1, 1),
    )


def test_the_same_entitlement_under_a_new_catalog_gets_the_new_catalogs_schedule() -> None:
    """Schedules are shared between entitlements (`due._schedule`): each catalog and policy still gets its own."""
    entitlement, policy, since = _entitlement(), Policy(), datetime(2025, 6, 1, tzinfo=UTC)
    one = catalog_from_releases([Release("true-image", "2025", date(2025, 1, 1))])
    three = catalog_from_releases([Release("true-image", str(y), date(y, 1, 1)) for y in (2025, 2026, 2027)])
    assert next_transition_at(entitlement, since, one, policy) is None
    assert next_transition_at(entitlement, since, three, policy) == datetime(2027, 1, 1, tzinfo=UTC)
    assert next_transition_at(entitlement, since, one, policy) is None
    assert next_transition_at(entitlement, since, one, Policy.with_lead_days((5,))) is None
