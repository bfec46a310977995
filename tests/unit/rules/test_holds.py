"""R14a held events: what needs a purchase waits for it, then applies as in event-time order, or is refused."""

from __future__ import annotations

from datetime import timedelta

from journeys import Journey, at

from lifecycle.rules import Policy
from lifecycle.rules.engine import next_due
from lifecycle.samples import events as ev

ARRIVED = at("2026-12-01")  # the wall clock when the events arrive


def _trip() -> Journey:
    return Journey(arrived_at=ARRIVED)


def test_renewal_before_its_purchase_applies_once_the_purchase_arrives() -> None:
    """FAQ "renew it to continue receiving support": the renewal counts whatever order the systems sent it in."""
    purchase = ev.purchase("p", at("2025-01-01"), "S", "a", "backup-advanced", "12.5")
    renewal = ev.renewal("n", at("2025-12-01"), "S", "a", "ro1", 12, "online_store")
    late = _trip()
    late.send(renewal, purchase)
    in_order = _trip()
    in_order.send(purchase, renewal)
    assert late.rejections == []
    assert late.states["S"].holds == ()
    assert late.snapshot("S")["support"]["expires_on"] == "2027-01-01"
    assert {k: v for k, v in late.snapshot("S").items() if k != "revision"} == {
        k: v for k, v in in_order.snapshot("S").items() if k != "revision"
    }
    assert late.kinds("S").count("renewal_confirmed") == 1
    assert sorted(n["notice_id"] for n in late.notices) == sorted(n["notice_id"] for n in in_order.notices)


def test_a_held_event_that_breaks_a_rule_is_refused_when_its_purchase_arrives() -> None:
    """FAQ: Pay Per Incident is for Home products only: known once the Business purchase arrives."""
    trip = _trip()
    trip.send(ev.ppi("i", at("2025-03-01"), "S", "a"))
    assert trip.refused == []
    trip.send(ev.purchase("p", at("2025-01-01"), "S", "a", "backup-advanced", "12.5"))
    assert trip.refused == [("i", "Pay Per Incident is for Home products only; serial S is a business product")]
    assert trip.states["S"].holds == ()
    assert trip.snapshot("S")["support"]["ppi_credits"] == 0
    trip.send(ev.registration("r", at("2025-02-01"), "S", "a"))
    assert len(trip.refused) == 1  # refused once, however often the history is folded again


def test_renewal_of_a_home_perpetual_license_is_refused_after_its_hold() -> None:
    """FAQ: Home perpetual licenses have no subscription to renew."""
    trip = _trip()
    trip.send(ev.renewal("n", at("2025-06-01"), "S", "a", "ro1", 12, "online_store"))
    trip.send(ev.purchase("p", at("2025-01-01"), "S", "a", "true-image", "2025"))
    assert [event_id for event_id, _ in trip.refused] == ["n"]
    assert "Home perpetual" in trip.refused[0][1]


def test_a_hold_ends_after_the_hold_period_by_the_clock_of_arrival() -> None:
    trip = _trip()
    trip.send(ev.renewal("n", at("2023-06-01"), "S", "a", "ro1", 12, "sales"))
    trip.wait_until((ARRIVED + timedelta(days=29)).date())
    assert trip.refused == []
    assert [hold.event_id for hold in trip.states["S"].holds] == ["n"]
    trip.wait_until((ARRIVED + timedelta(days=30)).date())
    assert trip.refused == [("n", "no purchase for serial S after 30 days")]
    assert trip.states["S"].holds == ()
    assert trip.states["S"].window == ()


def test_an_expired_hold_sent_again_waits_again() -> None:
    """`lifecycle redrive` of a hold that ran out: the event is new to the serial and waits once more."""
    renewal = ev.renewal("n", at("2023-06-01"), "S", "a", "ro1", 12, "sales")
    trip = _trip()
    trip.send(renewal)
    trip.wait_until((ARRIVED + timedelta(days=30)).date())
    trip.arrived_at = ARRIVED + timedelta(days=31)
    trip.send(renewal)
    assert [hold.event_id for hold in trip.states["S"].holds] == ["n"]


def test_an_event_refused_then_held_again_is_refused_again_when_its_hold_runs_out() -> None:
    """Each refusal is dead-lettered once, and the fold in event-time order decides: an event refused for a rule
    waits again when a purchase before it comes late, and a hold that runs out then is a refusal of its own."""
    trip = _trip()
    trip.send(ev.ppi("i", at("2025-03-01"), "S", "a"))
    trip.send(ev.purchase("b", at("2025-06-01"), "S", "a", "backup-advanced", "12.5"))
    assert trip.refused == [("i", "Pay Per Incident is for Home products only; serial S is a business product")]
    trip.send(ev.purchase("h", at("2025-01-01"), "S", "a", "true-image", "2025", "retail_box"))  # Home, come late
    assert [hold.event_id for hold in trip.states["S"].holds] == ["i"]  # a PPI waits for the registration
    trip.wait_until((ARRIVED + timedelta(days=30)).date())
    refusals_of_i = [reason for event_id, reason in trip.refused if event_id == "i"]
    assert refusals_of_i[1:] == ["serial S was not registered within 30 days"]
    trip.wait_until((ARRIVED + timedelta(days=90)).date())
    assert len([event_id for event_id, _ in trip.refused if event_id == "i"]) == 2  # and never again


def test_the_hold_period_is_a_policy() -> None:
    trip = Journey(policy=Policy(hold_days=3), arrived_at=ARRIVED)
    trip.send(ev.upgrade("u", at("2025-04-02"), "S", "a", "S2", "backup-advanced", "12.5"))
    assert next_due(trip.states["S"], {}, trip.policy) == ARRIVED + timedelta(days=3)
    trip.wait_until((ARRIVED + timedelta(days=3)).date())
    assert trip.refused == [("u", "no purchase for serial S after 3 days")]


def test_a_boxed_product_renewal_waits_for_the_registration() -> None:
    """FAQ: a boxed product's support starts at registration; a renewal before it waits."""
    trip = _trip()
    trip.send(ev.purchase("p", at("2025-01-01"), "S", "shop", "backup-advanced", "12.5", channel="retail_box"))
    trip.send(ev.renewal("n", at("2025-02-01"), "S", "a", "ro1", 12, "online_store"))
    assert [hold.event_id for hold in trip.states["S"].holds] == ["n"]
    trip.send(ev.registration("r", at("2025-03-01"), "S", "a"))
    assert trip.states["S"].holds == ()
    assert trip.snapshot("S")["support"]["expires_on"] == "2027-03-01"
    trip.wait_until((ARRIVED + timedelta(days=60)).date())
    assert trip.refused == []


def test_not_registered_in_time_names_the_registration() -> None:
    trip = _trip()
    trip.send(ev.purchase("p", at("2025-01-01"), "S", "shop", "true-image", "2025", channel="retail_box"))
    trip.send(ev.ppi("i", at("2025-02-01"), "S", "a"))
    trip.wait_until((ARRIVED + timedelta(days=30)).date())
    assert trip.refused == [("i", "serial S was not registered within 30 days")]


def test_a_late_source_renewal_follows_the_upgrade_to_the_new_serial() -> None:
    """FAQ "How do I receive an upgrade ... under maintenance?": in-order, the renewed year moves to the new serial."""
    purchase = ev.purchase("p", at("2022-01-07"), "S", "a", "backup-advanced", "11.5")
    renewal = ev.renewal("n", at("2022-12-01"), "S", "a", "ro1", 12, "online_store")
    upgrade = ev.upgrade("u", at("2023-01-02"), "S", "a", "S2", "backup-advanced", "12.5")
    late = _trip()
    late.send(purchase, upgrade, renewal)
    in_order = _trip()
    in_order.send(purchase, renewal, upgrade)
    assert in_order.snapshot("S2")["support"]["expires_on"] == "2024-01-07"
    assert late.snapshot("S2")["support"]["expires_on"] == "2024-01-07"
    for serial in ("S", "S2"):
        assert {k: v for k, v in late.snapshot(serial).items() if k != "revision"} == {
            k: v for k, v in in_order.snapshot(serial).items() if k != "revision"
        }
    assert late.kinds("S2") == in_order.kinds("S2") == []


def test_a_repeated_grant_changes_nothing() -> None:
    purchase = ev.purchase("p", at("2022-01-07"), "S", "a", "backup-advanced", "11.5")
    upgrade = ev.upgrade("u", at("2023-01-02"), "S", "a", "S2", "backup-advanced", "12.5")
    trip = _trip()
    trip.send(purchase, upgrade)
    grant = next(event for event in trip.accepted if event["type"] == "upgrade_grant")
    revision = trip.snapshot("S2")["revision"]
    trip.send(dict(grant, event_id=grant["event_id"] + "-again"))
    assert trip.snapshot("S2")["revision"] == revision
