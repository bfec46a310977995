"""Upgrade grants (R9) on their topic: what the processor makes validates, and what breaks the schema is refused."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from examples import example

from lifecycle.rules import Policy
from lifecycle.samples import events as ev
from lifecycle.topics import TOPIC_BY_EVENT_TYPE, UPGRADE_GRANTS
from schemas import validate
from streams.handler import Context, Handled, Inbound, handle
from streams.stored import StoredSerial

PREFIX = "t"
CONTEXT = Context(PREFIX, {}, Policy(), now=lambda: datetime(2026, 1, 5, tzinfo=UTC))


def _grant_message(grant: dict[str, Any]) -> Inbound:
    return Inbound(UPGRADE_GRANTS.name(PREFIX), 0, 1, str(grant.get("serial", "")).encode(), orjson.dumps(grant))


def _feed(table: dict[str, StoredSerial], event: dict[str, Any]) -> Handled:
    topic = TOPIC_BY_EVENT_TYPE[event["type"]].name(PREFIX)
    handled = handle(Inbound(topic, 0, 1, event["serial"].encode(), orjson.dumps(event)), table.get, CONTEXT)
    if handled.serial is not None and handled.stored is not None:
        table[handled.serial] = handled.stored
    return handled


def test_the_grant_of_a_free_upgrade_validates_and_starts_the_new_serial() -> None:
    table: dict[str, StoredSerial] = {}
    bought = datetime(2025, 3, 3, tzinfo=UTC)
    _feed(
        table, ev.purchase("p", bought, "S1", "a", "backup-advanced", "12", license_type="subscription", term_months=12)
    )
    upgraded = _feed(
        table, ev.upgrade("u", datetime(2025, 6, 1, tzinfo=UTC), "S1", "a", "S2", "backup-advanced", "12.5")
    )
    [grant] = [orjson.loads(r.value) for r in upgraded.records if r.suffix == UPGRADE_GRANTS.suffix]

    assert validate("upgrade_grant", grant) == grant
    handled = handle(_grant_message(grant), table.get, CONTEXT)
    assert handled.outcome == "applied"
    [snapshot] = [orjson.loads(r.value) for r in handled.records if r.suffix == "entitlements"]
    assert (snapshot["serial"], snapshot["upgraded_from"], snapshot["support"]["expires_on"]) == (
        "S2",
        "S1",
        "2026-03-03",
    )


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"expires_on": "next year"}, "expires_on: "),
        ({"program": "gold"}, "program: "),
        ({"upgraded_from": None}, "upgraded_from: "),
        ({"type": "purchase"}, "type: only upgrade_grant events belong on the upgrade-grants topic"),
    ],
)
def test_a_grant_that_breaks_its_schema_is_dead_lettered_with_the_field_named(
    change: dict[str, Any], reason: str
) -> None:
    grant = {**example("upgrade_grant"), **change}
    empty: dict[str, StoredSerial] = {}
    handled = handle(_grant_message(grant), empty.get, CONTEXT)

    assert handled.outcome == "deadletter"
    assert (handled.reason or "").startswith(reason)


def test_a_grant_made_again_is_stored_in_the_older_ones_place_and_the_older_one_then_changes_nothing() -> None:
    """R9/R14: a late renewal of the source makes its grant again; the new serial keeps the newer one only, its own
    renewal on top, and the older one delivered again leaves the stored state as it is."""
    table: dict[str, StoredSerial] = {}
    grants: list[dict[str, Any]] = []

    def send(event: dict[str, Any]) -> None:
        if event["type"] == "upgrade_grant":
            handled = handle(_grant_message(event), table.get, CONTEXT)
            assert handled.stored is not None
            table[event["serial"]] = handled.stored
        else:
            handled = _feed(table, event)
        for record in handled.records:
            if record.suffix == UPGRADE_GRANTS.suffix:
                grants.append(orjson.loads(record.value))
                send(grants[-1])

    send(ev.purchase("p", datetime(2024, 1, 7, tzinfo=UTC), "S", "a", "backup-advanced", "2025"))
    send(ev.upgrade("u", datetime(2024, 12, 1, tzinfo=UTC), "S", "a", "T", "backup-advanced", "12.5"))
    send(ev.renewal("t-n", datetime(2024, 11, 1, tzinfo=UTC), "T", "a", "ro-2", 12, "online_store"))
    send(ev.renewal("n", datetime(2024, 11, 10, tzinfo=UTC), "S", "a", "ro-1", 12, "online_store"))

    older, newer = grants
    state = table["T"].state
    assert [event["event_id"] for event in state.window] == ["t-n", newer["event_id"]]
    assert state.snapshot is not None
    assert state.snapshot["support"]["expires_on"] == "2027-01-07"
    handled = handle(_grant_message(older), table.get, CONTEXT)
    assert (handled.outcome, handled.records) == ("unchanged", ())
