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
