"""The processor's handler with an event refused on arrival (R14): dead-lettered, and kept with the serial."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
from test_handler_holds import Table, _values

from lifecycle.samples import events as ev

BOX = ev.purchase("p", datetime(2025, 1, 1, tzinfo=UTC), "S", "shop", "backup-advanced", "12.5", channel="retail_box")
FIRST = ev.registration("r1", datetime(2025, 1, 10, tzinfo=UTC), "S", "b")
SECOND = ev.registration("r2", datetime(2025, 2, 1, tzinfo=UTC), "S", "a")
UPGRADE = ev.upgrade("u", datetime(2025, 3, 1, tzinfo=UTC), "S", "b", "S2", "backup-advanced", "15")
REASON = "serial S is registered to another account"


def test_a_refused_event_is_dead_lettered_from_its_offset_and_kept_with_the_serial() -> None:
    table = Table()
    table.feed(BOX), table.feed(SECOND)
    handled = table.feed(UPGRADE)
    assert (handled.outcome, handled.reason) == ("rejected", REASON)
    (letter,) = _values(handled, "deadletter")
    assert (letter["reason"], letter["origin"]["offset"], orjson.loads(letter["payload"])) == (REASON, 3, UPGRADE)
    assert handled.stored is not None
    assert handled.stored.state.applied("u")
    assert _values(handled, "upgrade-grants") == []


def test_a_redelivered_refused_event_sends_its_dead_letter_again_and_nothing_else() -> None:
    """At least once: a crash before its offset was committed brings it again; what it sent is sent again."""
    table = Table()
    table.feed(BOX), table.feed(SECOND)
    (first,) = _values(table.feed(UPGRADE), "deadletter")
    again = table.feed(UPGRADE)
    assert again.outcome == "duplicate"
    (letter,) = _values(again, "deadletter")  # made from the message that brought it again, at its offset
    assert (letter["reason"], letter["payload"], letter["origin"]["offset"]) == (REASON, first["payload"], 4)
    assert [record.suffix for record in again.records] == ["deadletter", "entitlements"]  # the snapshot as it is


def test_the_state_keeps_a_refused_event_once_and_no_copy_of_its_dead_letter() -> None:
    """Extra fields are allowed: a big refused event costs the serial's state its own size, not its letter's too."""
    table = Table()
    table.feed(BOX), table.feed(SECOND)
    before = len(table.rows["S"])
    big = {**UPGRADE, "note": "x" * 50_000}
    assert table.feed(big).outcome == "rejected"
    assert len(table.rows["S"]) - before < len(orjson.dumps(big)) + 2_000


def test_the_registration_before_it_come_late_lets_the_refused_upgrade_go_on() -> None:
    table = Table()
    for event in (BOX, SECOND, UPGRADE):
        table.feed(event)
    handled = table.feed(FIRST)
    assert handled.outcome == "applied"
    (refused,) = _values(handled, "deadletter")  # the later registration, refused now
    assert (refused["reason"], orjson.loads(refused["payload"])["event_id"]) == (REASON, "r2")
    (grant,) = _values(handled, "upgrade-grants")
    assert (grant["serial"], grant["account_id"]) == ("S2", "b")
    assert [n["kind"] for n in _values(handled, "notices")].count("upgrade_granted") == 1
