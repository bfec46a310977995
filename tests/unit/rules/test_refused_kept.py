"""R14: an event refused on arrival is kept in the window, so an event dated before it, come late, lets it go on."""

from __future__ import annotations

from typing import Any

from journeys import at, journey

from lifecycle.rules.engine import event_order
from lifecycle.samples import events as ev

BOX = ev.purchase("p", at("2025-01-01"), "S", "shop", "backup-advanced", "12.5", channel="retail_box")
FIRST = ev.registration("r1", at("2025-01-10"), "S", "b")  # R1: a box is registered to whoever registers it first
SECOND = ev.registration("r2", at("2025-02-01"), "S", "a")
UPGRADE = ev.upgrade("u", at("2025-03-01"), "S", "b", "S2", "backup-advanced", "15")


def _without_revision(snapshot: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in snapshot.items() if key != "revision"}


def test_an_upgrade_refused_on_arrival_is_granted_when_the_registration_before_it_comes_late() -> None:
    """Registered to another account when it arrived, the upgrade is dead-lettered; the first registration, come
    late, shows the serial is the upgrading account's: the upgrade is granted, as event-time order has it."""
    trip = journey([BOX, SECOND, UPGRADE])
    assert trip.rejections == ["serial S is registered to another account"]
    assert "S2" not in trip.states
    trip.send(FIRST)
    in_order = journey(sorted([BOX, FIRST, SECOND, UPGRADE], key=event_order))
    for serial in ("S", "S2"):
        assert _without_revision(trip.snapshot(serial)) == _without_revision(in_order.snapshot(serial))
    assert (trip.snapshot("S")["status"], trip.snapshot("S2")["account_id"]) == ("superseded", "b")
    assert trip.refused == [("r2", "serial S is registered to another account")]  # the later registration, now
    assert "upgrade_granted" in trip.kinds("S")


def test_an_event_refused_on_arrival_and_sent_again_is_not_refused_twice() -> None:
    """R13: kept, it is known: sent again (a redelivery, a redrive) it changes nothing and sends nothing."""
    trip = journey([BOX, SECOND, UPGRADE])
    before, notices = trip.states["S"], len(trip.notices)
    outcome = trip.send(UPGRADE)
    assert (outcome.rejection, outcome.refused, outcome.notices) == (None, (), ())
    assert trip.states["S"] is before
    assert len(trip.notices) == notices
    assert trip.rejections == ["serial S is registered to another account"]


def test_an_event_still_refused_by_a_refold_is_not_refused_again() -> None:
    """A late event that does not change its decision leaves it refused once: one dead letter per refusal."""
    trip = journey([BOX, FIRST, ev.upgrade("u2", at("2025-03-01"), "S", "a", "S3", "backup-advanced", "15")])
    assert trip.rejections == ["serial S is registered to another account"]
    trip.send(SECOND)  # dated before the upgrade: the refold decides it again, and refuses it again
    assert trip.rejections[1:] == ["serial S is registered to another account"]  # the second registration's own
    assert trip.refused == []
    assert "S3" not in trip.states
