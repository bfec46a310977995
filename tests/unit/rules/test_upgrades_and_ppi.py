"""R6 Pay Per Incident and R9 upgrades."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from journeys import Journey, at, journey

from lifecycle.rules import Policy
from lifecycle.rules.engine import event_order
from lifecycle.rules.sent import keep_sent
from lifecycle.rules.upgrade import grant_made
from lifecycle.rules.values import evolve
from lifecycle.samples import events as ev


def test_ppi_adds_a_credit_with_phone_and_priority() -> None:
    """FAQ: PPI gives phone support and priority chat/email for one case, $20.00 per incident (R6)."""
    trip = journey(
        [
            ev.purchase("p", at("2025-01-01"), "S", "a", "true-image", "2025"),
            ev.ppi("i", at("2025-03-01"), "S", "a"),
        ]
    )
    support = trip.snapshot("S")["support"]
    assert (support["ppi_credits"], support["channels"], support["priority"]) == (1, ["chat", "email", "phone"], True)
    assert trip.kinds()[-1] == "ppi_added"


def test_ppi_for_a_business_product_is_rejected() -> None:
    """FAQ: Pay Per Incident is for Home products only."""
    trip = journey(
        [
            ev.purchase("p", at("2025-01-01"), "S", "a", "backup-advanced", "12.5"),
            ev.ppi("i", at("2025-03-01"), "S", "a"),
        ]
    )
    assert trip.rejections == ["Pay Per Incident is for Home products only; serial S is a business product"]
    assert trip.snapshot("S")["support"]["ppi_credits"] == 0


def test_ppi_needs_a_registered_product() -> None:
    """FAQ: PPI is bought after choosing a registered product."""
    trip = journey(
        [
            ev.purchase("p", at("2025-01-01"), "S", "shop", "true-image", "2025", channel="retail_box"),
            ev.ppi("i", at("2025-03-01"), "S", "a"),
        ]
    )
    # R14a: it waits for the registration instead of being refused, and adds its credit once registered.
    assert trip.rejections == []
    assert [hold.event_id for hold in trip.states["S"].holds] == ["i"]
    assert trip.snapshot("S")["support"]["ppi_credits"] == 0
    trip.send(ev.registration("r", at("2025-03-05"), "S", "a"))
    assert trip.states["S"].holds == ()
    assert trip.snapshot("S")["support"]["ppi_credits"] == 1


def test_upgrade_while_active_is_free_and_moves_support() -> None:
    """FAQ "How do I receive an upgrade for my Business product under maintenance?" (R9)."""
    trip = journey(
        [
            ev.purchase("p", at("2025-03-15"), "S", "a", "backup-advanced", "12", contact={"email": "a@x.example"}),
            ev.upgrade("u", at("2025-09-01"), "S", "a", "S2", "backup-advanced", "12.5"),
        ]
    )
    source, target = trip.snapshot("S"), trip.snapshot("S2")
    assert (source["status"], source["upgraded_to"]) == ("superseded", "S2")
    assert (target["status"], target["account_id"], target["upgraded_from"]) == ("active", "a", "S")
    assert target["support"]["expires_on"] == "2026-03-15"
    assert target["registered_at"] == "2025-09-01T00:00:00Z"
    assert target["product"]["version"] == "12.5"
    assert "upgrade_granted" in trip.kinds()


def test_upgrade_after_expiry_is_denied_and_changes_nothing() -> None:
    """FAQ: your support program must be active to receive free upgrades; if expired, they are not available."""
    trip = journey([ev.purchase("p", at("2024-03-15"), "S", "a", "backup-advanced", "12")])
    trip.wait_until("2025-04-01")
    before = trip.snapshot("S")
    trip.send(ev.upgrade("u", at("2025-04-02"), "S", "a", "S2", "backup-advanced", "12.5"))
    assert trip.snapshot("S") == before
    assert "S2" not in trip.states
    assert trip.notices[-1]["kind"] == "upgrade_denied"
    assert "renew" in trip.notices[-1]["data"]["reason"]


def test_upgrade_of_unknown_serial_waits_for_its_purchase() -> None:
    """R14a: the upgrade is held until the source's purchase arrives, then granted as in event-time order."""
    upgrade = ev.upgrade("u", at("2025-04-02"), "S", "a", "S2", "backup-advanced", "12.5")
    trip = journey([upgrade])
    assert trip.rejections == []
    assert [hold.event_id for hold in trip.states["S"].holds] == ["u"]
    trip.send(ev.purchase("p", at("2025-01-01"), "S", "a", "backup-advanced", "12.5"))
    assert trip.snapshot("S")["status"] == "superseded"
    assert trip.snapshot("S2")["support"]["expires_on"] == "2026-01-01"


def test_a_grant_is_taken_back_when_a_late_registration_ends_the_program_before_the_upgrade() -> None:
    """R9, R14: support ran from the first registration, which came late; the upgrade after it was not free."""
    purchase = ev.purchase("p", at("2024-01-01"), "S", "a", "backup-advanced", "12.5", channel="retail_box")
    later = ev.registration("r2", at("2025-01-05"), "S", "a")
    upgrade = ev.upgrade("u", at("2025-06-01"), "S", "a", "S2", "backup-advanced", "15")
    trip = journey([purchase, later, upgrade])
    assert trip.snapshot("S2")["status"] == "active"
    trip.send(ev.registration("r1", at("2024-01-10"), "S", "a"))
    source, target = trip.snapshot("S"), trip.snapshot("S2")
    assert (source["status"], source["upgraded_to"], source["support"]["expires_on"]) == ("expired", None, "2025-01-10")
    assert (target["status"], target["upgraded_from"]) == ("no_support", "S")
    assert (target["support"]["program"], target["support"]["expires_on"], target["support"]["channels"]) == (
        "none",
        None,
        [],
    )
    assert trip.kinds("S")[-1] == "upgrade_denied"
    sent = len(trip.notices), target["revision"]
    trip.send(ev.registration("r1", at("2024-01-10"), "S", "a"), upgrade)  # again: nothing more is sent
    assert (len(trip.notices), trip.snapshot("S2")["revision"]) == sent


def test_a_grant_taken_back_is_given_again_when_a_late_renewal_keeps_the_program_running() -> None:
    """R8, R9, R14: renewed before the upgrade after all: the upgrade was free, as event-time order has it."""
    purchase = ev.purchase("p", at("2024-01-01"), "S", "a", "backup-advanced", "12.5", channel="retail_box")
    first, later = ev.registration("r1", at("2024-01-10"), "S", "a"), ev.registration("r2", at("2025-01-05"), "S", "a")
    upgrade = ev.upgrade("u", at("2025-06-01"), "S", "a", "S2", "backup-advanced", "15")
    renewal = ev.renewal("n", at("2025-01-02"), "S", "a", "ro-1", 12, "online_store")
    trip = journey([purchase, later, upgrade, first, renewal])
    in_order = journey([purchase, first, renewal, later, upgrade])
    assert trip.snapshot("S2")["status"] == "active"
    assert {k: v for k, v in trip.snapshot("S2").items() if k != "revision"} == {
        k: v for k, v in in_order.snapshot("S2").items() if k != "revision"
    }
    assert trip.snapshot("S")["status"] == in_order.snapshot("S")["status"] == "superseded"


def test_a_renewal_of_a_serial_whose_grant_was_taken_back_waits_as_in_event_time_order() -> None:
    """R9, R14a: with its grant taken back the new serial has no purchase, so its renewal waits; granted again (a
    late renewal of the source), the renewal goes on, as event-time order has it."""
    purchase = ev.purchase("p", at("2024-01-01"), "S", "a", "backup-advanced", "12.5", channel="retail_box")
    first, later = ev.registration("r1", at("2024-01-10"), "S", "a"), ev.registration("r2", at("2025-01-05"), "S", "a")
    upgrade = ev.upgrade("u", at("2025-06-01"), "S", "a", "S2", "backup-advanced", "15")
    of_source = ev.renewal("n", at("2025-01-02"), "S", "a", "ro-1", 12, "online_store")
    of_target = ev.renewal("n2", at("2025-07-01"), "S2", "a", "ro-2", 12, "online_store")
    trip = journey([purchase, later, upgrade, first, of_target])
    assert trip.snapshot("S2")["status"] == "no_support"
    assert [hold.event_id for hold in trip.states["S2"].holds] == ["n2"]
    assert "renewal_confirmed" not in trip.kinds("S2")
    trip.send(of_source)
    in_order = journey(sorted([purchase, first, of_source, later, upgrade, of_target], key=event_order))
    assert trip.snapshot("S2")["support"]["expires_on"] == "2027-01-10"
    assert {k: v for k, v in trip.snapshot("S2").items() if k != "revision"} == {
        k: v for k, v in in_order.snapshot("S2").items() if k != "revision"
    }
    assert trip.kinds("S2").count("renewal_confirmed") == in_order.kinds("S2").count("renewal_confirmed") == 1


def test_an_event_of_a_serial_whose_grant_was_taken_back_runs_out_its_hold_for_want_of_a_purchase() -> None:
    """R9, R14a: never granted again, a case for the new serial waits and is refused as one for an unknown serial."""
    purchase = ev.purchase("p", at("2024-01-01"), "S", "a", "backup-advanced", "12.5", channel="retail_box")
    later = ev.registration("r2", at("2025-01-05"), "S", "a")
    upgrade = ev.upgrade("u", at("2025-06-01"), "S", "a", "S2", "backup-advanced", "15")
    case = ev.case("c", at("2025-07-01"), "S2", "a", "C-1", "technical", "phone")
    trip = journey([purchase, later, upgrade, ev.registration("r1", at("2024-01-10"), "S", "a"), case])
    assert [hold.event_id for hold in trip.states["S2"].holds] == ["c"]
    assert trip.decisions == []
    trip.wait_until("2026-01-01")
    assert trip.states["S2"].holds == ()
    assert trip.refused == [("c", f"no purchase for serial S2 after {trip.policy.hold_days} days")]
    assert trip.decisions == []


def test_an_upgrade_of_a_serial_whose_grant_was_taken_back_waits_and_takes_its_own_grant_back() -> None:
    """R9: S upgraded to T, T upgraded on to V; S's first registration comes late and ends the program before the
    first upgrade. T has no purchase then, so its upgrade waits and V's grant is taken back too."""
    purchase = ev.purchase("p", at("2024-01-07"), "S", "a", "backup-advanced", "2025", "retail_box")
    first, later = ev.registration("r0", at("2024-01-31"), "S", "a"), ev.registration("r1", at("2024-06-29"), "S", "a")
    to_t = ev.upgrade("u0", at("2025-03-01"), "S", "a", "T", "backup-advanced", "12.5")
    to_v = ev.upgrade("t-u", at("2025-05-03"), "T", "a", "V", "backup-advanced", "13")
    trip = journey([purchase, later, to_t, to_v])
    assert trip.snapshot("V")["status"] == "active"
    trip.send(first)
    assert _taken_back(trip.snapshot("T"))
    assert _taken_back(trip.snapshot("V"))
    assert [hold.event_id for hold in trip.states["T"].holds] == ["t-u"]


def test_a_serial_whose_grant_was_taken_back_registered_then_bought_as_a_box_starts_at_its_registration() -> None:
    """R1, R9: the registration waits for the purchase as in event-time order, whoever registers it."""
    purchase = ev.purchase("p", at("2024-01-01"), "S", "a", "backup-advanced", "12.5", channel="retail_box")
    later = ev.registration("r2", at("2025-01-05"), "S", "a")
    upgrade = ev.upgrade("u", at("2025-06-01"), "S", "a", "S2", "backup-advanced", "15")
    registered = ev.registration("x-reg", at("2025-06-10"), "S2", "b")
    box = ev.purchase("x-box", at("2025-06-20"), "S2", "a", "backup-advanced", "15", channel="retail_box")
    events = [purchase, later, upgrade, ev.registration("r1", at("2024-01-10"), "S", "a"), registered, box]
    trip, in_order = journey(events), journey(sorted(events, key=event_order))
    assert trip.rejections == in_order.rejections == []
    assert (trip.snapshot("S2")["status"], trip.snapshot("S2")["account_id"]) == ("active", "b")
    assert {k: v for k, v in trip.snapshot("S2").items() if k != "revision"} == {
        k: v for k, v in in_order.snapshot("S2").items() if k != "revision"
    }


def test_of_two_upgrades_to_one_new_serial_the_one_a_late_registration_lets_go_on_stands() -> None:
    """R1, R9, R14: b's upgrade was granted while b held the box; a's registration, the first, comes late. The same
    refold takes b's grant back and grants a's upgrade, kept since it was refused: the grant stands, not the
    take-back."""
    box = ev.purchase("p", at("2025-01-01"), "S", "a", "backup-advanced", "2025", "retail_box")
    by_a = ev.registration("r-a", at("2025-01-01"), "S", "a")
    upgrade_b = ev.upgrade("u-b", at("2025-01-01"), "S", "b", "S-new", "backup-advanced", "12.5")
    by_b = ev.registration("r-b", at("2025-01-01T01:00"), "S", "b")
    upgrade_a = ev.upgrade("u-a", at("2025-01-01T01:00"), "S", "a", "S-new", "backup-advanced", "12.5")
    trip = journey([box, by_b, upgrade_a, upgrade_b])
    assert trip.snapshot("S-new")["account_id"] == "b"
    trip.send(by_a)
    in_order = journey(sorted([box, by_a, upgrade_b, by_b, upgrade_a], key=event_order))
    assert (trip.snapshot("S-new")["status"], trip.snapshot("S-new")["account_id"]) == ("active", "a")
    assert {k: v for k, v in trip.snapshot("S-new").items() if k != "revision"} == {
        k: v for k, v in in_order.snapshot("S-new").items() if k != "revision"
    }


def test_a_publish_that_sends_a_grant_makes_a_new_revision_of_the_source() -> None:
    """R9: two upgrades to one serial at one instant; the later-sorted came first, the other late. The refold grants
    the other and takes the first back without changing the source's snapshot: at a revision of their own, so the
    new serial does not take the first's older grant for the same knowledge."""
    box = ev.purchase("p", at("2024-01-23"), "S", "a", "backup-advanced", "2025", "retail_box")
    first = ev.upgrade("u1", at("2024-05-06"), "S", "a", "T", "backup-advanced", "12.5")
    second = ev.upgrade("u10", at("2024-05-06"), "S", "a", "T", "backup-advanced", "13")
    registered = ev.registration("r", at("2025-03-27"), "S", "a")
    trip, in_order = (
        journey([second, registered, box]),
        journey(sorted([box, first, second, registered], key=event_order)),
    )
    revision = trip.snapshot("S")["revision"]
    trip.send(first)
    assert trip.snapshot("S")["revision"] == revision + 1
    assert trip.snapshot("T")["product"]["version"] == in_order.snapshot("T")["product"]["version"] == "12.5"


def test_a_grant_the_source_comes_back_to_is_sent_again() -> None:
    """R9, R14: late events move the expiry the upgrade carries and move it back: the new serial follows both ways."""
    purchase = ev.purchase("p", at("2024-01-01"), "S", "a", "backup-advanced", "12.5", channel="retail_box")
    first, later = ev.registration("r1", at("2024-01-01"), "S", "a"), ev.registration("r2", at("2025-01-01"), "S", "a")
    upgrade = ev.upgrade("u", at("2024-01-01"), "S", "a", "S2", "backup-advanced", "15")
    renewal = ev.renewal("n", at("2023-12-31"), "S", "a", "ro-1", 12, "online_store")  # waits for the registration
    trip = journey([purchase, later, upgrade])
    assert trip.snapshot("S2")["support"]["expires_on"] == "2026-01-01"  # a year from the later registration
    trip.send(first)
    assert trip.snapshot("S2")["support"]["expires_on"] == "2025-01-01"  # a year from the first
    trip.send(renewal)
    assert trip.snapshot("S2")["support"]["expires_on"] == "2026-01-01"  # and renewed for one more: back again
    in_order = journey(sorted([purchase, first, later, upgrade, renewal], key=event_order))
    assert {k: v for k, v in trip.snapshot("S2").items() if k != "revision"} == {
        k: v for k, v in in_order.snapshot("S2").items() if k != "revision"
    }


def test_a_grant_is_taken_back_when_an_earlier_upgrade_of_the_source_comes_late() -> None:
    """R9, R14: the source was upgraded to S1 first; the upgrade to S2, handled before it, is refused after all."""
    purchase = ev.purchase("p", at("2025-01-01"), "S", "a", "backup-advanced", "12.5")
    first = ev.upgrade("u1", at("2025-03-01"), "S", "a", "S1", "backup-advanced", "15")
    second = ev.upgrade("u2", at("2025-04-01"), "S", "a", "S2", "backup-advanced", "15")
    trip = journey([purchase, second, first])
    in_order = journey([purchase, first, second])
    assert trip.snapshot("S")["upgraded_to"] == in_order.snapshot("S")["upgraded_to"] == "S1"
    assert trip.snapshot("S1")["status"] == in_order.snapshot("S1")["status"] == "active"
    assert (trip.snapshot("S2")["status"], trip.snapshot("S2")["support"]["program"]) == ("no_support", "none")
    assert "S2" not in in_order.states


def test_a_state_that_kept_every_grant_sends_the_one_its_source_comes_back_to() -> None:
    """A state written before only the latest grant was kept: the latest one sent is the one that stands."""
    purchase = ev.purchase("p", at("2024-01-01"), "S", "a", "backup-advanced", "12.5", channel="retail_box")
    first, later = ev.registration("r1", at("2024-01-01"), "S", "a"), ev.registration("r2", at("2025-01-01"), "S", "a")
    upgrade = ev.upgrade("u", at("2024-01-01"), "S", "a", "S2", "backup-advanced", "15")
    trip = journey([purchase, later, upgrade, first])
    state = trip.states["S"]
    # As a state of the earlier version had it: every grant of the upgrade, each without the revision.
    kept = {"u:grant:2026-01-01": 0, **state.emitted}
    trip.states["S"] = evolve(state, emitted=keep_sent(kept))
    trip.send(ev.renewal("n", at("2023-12-31"), "S", "a", "ro-1", 12, "online_store"))
    assert trip.snapshot("S2")["support"]["expires_on"] == "2026-01-01"


def test_a_late_purchase_with_other_terms_sends_a_grant_of_the_same_expiry_again() -> None:
    """R9/R14: the upgrade was granted on a later, refused purchase; the first comes late with another license.

    Both grants end on the same day, so only their terms tell them apart: the new serial ends with the first's.
    """
    perpetual = ev.purchase("p1", at("2025-01-01"), "B", "acct", "backup-advanced", "2025", license_type="perpetual")
    later = at("2025-01-01") + timedelta(hours=6)
    subscription = ev.purchase("p2", later, "B", "acct", "backup-advanced", "2025", "online_store", "subscription", 12)
    upgrade = ev.upgrade("u", at("2025-01-02"), "B", "acct", "B-new", "backup-advanced", "12.5")
    in_order = journey([perpetual, subscription, upgrade])
    late = journey([upgrade, subscription, perpetual])

    assert late.snapshot("B-new")["license"]["type"] == "perpetual"
    grants = [event for event in late.accepted if event["type"] == "upgrade_grant"]
    assert [grant["expires_on"] for grant in grants] == ["2026-01-01", "2026-01-01"]  # the same day, other terms
    assert {k: v for k, v in late.snapshot("B-new").items() if k != "revision"} == {
        k: v for k, v in in_order.snapshot("B-new").items() if k != "revision"
    }


def _box_and_online(box_on: str, online_on: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A boxed and an online purchase of serial B, each its own order: the earlier one is B's purchase."""
    return (
        ev.purchase("p0", at(box_on), "B", "acct", "backup-advanced", "2025", "retail_box"),
        ev.purchase("p1", at(online_on), "B", "acct", "backup-advanced", "2025", "online_store"),
    )


def _taken_back(snapshot: dict[str, Any]) -> bool:
    return (snapshot["status"], snapshot["support"]["program"]) == ("no_support", "none")


def test_a_grant_is_taken_back_when_a_late_boxed_purchase_makes_its_upgrade_wait_for_registration() -> None:
    """R9/R14a: an online purchase let the upgrade go; the serial's first purchase, a box, comes late and waits for
    its registration, and so does the upgrade: the grant is taken back until the box is registered."""
    box, online = _box_and_online("2025-01-01", "2025-03-01")
    upgrade = ev.upgrade("u", at("2025-04-01"), "B", "acct", "B-new", "backup-advanced", "12.5")
    trip = journey([upgrade, online])
    assert trip.snapshot("B-new")["status"] == "active"  # granted, for now

    trip.send(box)
    assert trip.snapshot("B")["status"] == "pending_registration"
    assert _taken_back(trip.snapshot("B-new"))

    trip.send(ev.registration("r", at("2025-05-01"), "B", "acct"))
    assert trip.snapshot("B-new")["status"] == "active"  # registered: the upgrade goes on, granted again


def test_a_refold_that_takes_a_grant_back_and_makes_it_again_sends_nothing_new() -> None:
    """R9/R14: refolded, the upgrade waits for the box's registration (its grant taken back), then goes on as
    the registration comes (granted again): where the fold ends is the grant already sent, so nothing is sent."""
    box = ev.purchase("p0", at("2025-01-01"), "B", "acct", "backup-advanced", "2025", "retail_box")
    registration = ev.registration("r", at("2025-05-01"), "B", "acct")
    upgrade = ev.upgrade("u", at("2025-04-01"), "B", "acct", "B-new", "backup-advanced", "12.5")
    trip = journey([box, registration, upgrade])
    granted = trip.snapshot("B-new")
    assert granted["status"] == "active"

    trip.send(ev.case("x", at("2025-02-01"), "B", "acct", "C1", "technical", "chat", "A"))  # late: folded again
    assert [event["type"] for event in trip.accepted].count("upgrade_grant") == 1
    assert trip.snapshot("B-new") == granted


def test_a_grant_is_taken_back_when_the_first_purchase_of_an_upgrade_held_for_it_is_a_late_box() -> None:
    """R9/R14a: the upgrade waited for a purchase and an online one let it go; the first purchase, a box dated after
    the upgrade, comes late and waits for its registration, and so does the upgrade: its grant is taken back."""
    upgrade = ev.upgrade("u", at("2025-04-01"), "B", "acct", "B-new", "backup-advanced", "12.5")
    box, online = _box_and_online("2025-05-01", "2025-06-01")
    trip = journey([online, upgrade])
    assert trip.snapshot("B-new")["status"] == "active"  # granted, for now

    trip.send(box)
    assert _taken_back(trip.snapshot("B-new"))
    assert "B-new" not in journey([upgrade, box, online]).states  # event-time order never makes it


def _as_in_order(trip: Any, events: list[dict[str, Any]], *serials: str) -> None:
    """The serials' snapshots are those event-time order gives (their revisions aside)."""
    in_order = journey(sorted(events, key=event_order))
    for serial in serials:
        arrived = {k: v for k, v in trip.snapshot(serial).items() if k != "revision"}
        assert arrived == {k: v for k, v in in_order.snapshot(serial).items() if k != "revision"}, serial


def _grant_made_again() -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """An upgrade of S to T, a renewal of T dated before it (clock skew), and a late renewal of S dated before it."""
    purchase = ev.purchase("p", at("2024-01-07"), "S", "a", "backup-advanced", "2025")
    upgrade = ev.upgrade("u", at("2024-12-01"), "S", "a", "T", "backup-advanced", "12.5")
    own_renewal = ev.renewal("t-n", at("2024-11-01"), "T", "a", "ro-2", 12, "online_store")
    return [purchase, upgrade, own_renewal], ev.renewal("n", at("2024-11-10"), "S", "a", "ro-1", 12, "online_store")


def test_a_grant_made_again_keeps_what_the_new_serials_own_events_did() -> None:
    """R9/R14: T's renewal waited for the grant and renewed it; a late renewal of S makes the grant again. It takes
    the first grant's place, T's renewal still on top: two years more, as in event-time order."""
    events, late = _grant_made_again()
    trip = journey(events)
    assert trip.snapshot("T")["support"]["expires_on"] == "2026-01-07"  # the grant's year, renewed for one more
    trip.send(late)
    assert trip.snapshot("T")["support"]["expires_on"] == "2027-01-07"
    _as_in_order(trip, [*events, late], "S", "T")
    grants = [event["event_id"] for event in trip.accepted if event["type"] == "upgrade_grant"]
    assert [event["event_id"] for event in trip.states["T"].window if event["type"] == "upgrade_grant"] == grants[1:]


def test_an_older_grant_after_the_one_made_again_changes_nothing() -> None:
    """R9/R13: the older grant of an upgrade, delivered after the newer one, or either delivered again, changes
    nothing and sends nothing."""
    events, late = _grant_made_again()
    trip = journey([*events, late])
    older, newer = [event for event in trip.accepted if event["type"] == "upgrade_grant"]
    state = trip.states["T"]
    for grant in (older, newer, older):
        outcome = trip.send(grant)
        assert (outcome.state, outcome.revised, outcome.notices, outcome.derived) == (state, False, (), ())
    assert trip.snapshot("T")["support"]["expires_on"] == "2027-01-07"


def test_an_older_grant_after_the_newer_left_the_window_changes_nothing() -> None:
    """R9/R13: delivered again once the new serial's own events folded the newer grant in for good, the older grant
    is still known for what it is: nothing changes, nothing is refused."""
    events, late = _grant_made_again()
    trip = Journey(policy=Policy(kept_events=3))
    trip.send(*events, late)
    older = next(event for event in trip.accepted if event["type"] == "upgrade_grant")
    for day in ("2024-12-05", "2024-12-06", "2024-12-07", "2024-12-08"):
        trip.send(ev.case(f"c-{day}", at(day), "T", "a", f"C-{day}", "technical", "phone"))
    state = trip.states["T"]
    assert state.through is not None
    assert all(event["type"] != "upgrade_grant" for event in state.window)
    outcome = trip.send(older)
    assert (outcome.state, outcome.rejection, outcome.revised, outcome.derived) == (state, None, False, ())


def test_a_grant_made_again_keeps_the_new_serials_own_upgrade_onward() -> None:
    """R9/R14: T was upgraded on to V, dated before its own upgrade (clock skew); its grant made again keeps the
    upgrade onward, and V gets the new terms, as in event-time order."""
    events, late = _grant_made_again()
    onward = ev.upgrade("t-u", at("2024-11-20"), "T", "a", "V", "backup-advanced", "13")
    trip = journey([*events[:2], onward, late])
    assert (trip.snapshot("T")["status"], trip.snapshot("V")["support"]["expires_on"]) == ("superseded", "2026-01-07")
    _as_in_order(trip, [*events[:2], onward, late], "S", "T", "V")


def test_the_grant_of_the_upgrade_a_late_one_takes_over_from_keeps_the_new_serials_renewal() -> None:
    """R9/R14: two upgrades of S to T at one instant; the one event-time order applies first comes late, and its
    grant takes the place of the other's, which S's refold no longer makes: T's own renewal stays on top."""
    purchase = ev.purchase("p", at("2024-01-03"), "S", "a", "backup-advanced", "2025")
    first = ev.upgrade("u1", at("2024-12-19"), "S", "a", "T", "backup-advanced", "12.5")
    second = ev.upgrade("u10", at("2024-12-19"), "S", "a", "T", "backup-advanced", "12.5")
    own_renewal = ev.renewal("t-n", at("2024-12-01"), "T", "a", "ro-2", 12, "online_store")
    trip = journey([purchase, second, own_renewal, first])
    assert trip.snapshot("T")["support"]["expires_on"] == "2026-01-03"
    _as_in_order(trip, [purchase, first, second, own_renewal], "S", "T")


def _two_upgrades_of_a_box() -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Two upgrades of S to T, a registration and a later box; and S's first purchase, a box dated before them all."""
    later, earlier = (
        ev.upgrade("u1", at("2024-04-17"), "S", "a", "T", "backup-advanced", "12.5"),
        ev.upgrade("u2", at("2024-04-10"), "S", "a", "T", "backup-advanced", "12.5"),
    )
    registration = ev.registration("r", at("2024-05-06"), "S", "a")
    later_box = ev.purchase("p2", at("2024-05-06T01:00"), "S", "a", "backup-advanced", "2025", "retail_box")
    first_box = ev.purchase("p1", at("2024-04-01"), "S", "a", "backup-advanced", "2025", "retail_box")
    return [later, registration, later_box, earlier], first_box


def test_a_grant_the_new_serial_left_for_an_earlier_upgrades_is_not_taken_back_after_it() -> None:
    """R9/R14a: the later box let u1 go; u2, dated earlier, came late and took T over. S's first box comes late: both
    wait for the registration, which lets u2 go on, its grant the one T stands on. u1's grant, left already, is not
    taken back after it: T keeps u2's grant, as in event-time order."""
    events, first_box = _two_upgrades_of_a_box()
    trip = journey(events)
    assert trip.snapshot("T")["last_event_id"] == "u2:grant:2025-05-06"
    trip.send(first_box)
    assert trip.snapshot("T")["status"] == "active"
    _as_in_order(trip, [*events, first_box], "S", "T")


def test_a_grant_the_refold_ends_with_goes_out_again_with_the_take_back_of_one_sent_after_it() -> None:
    """R9: T stands on u1's grant, sent after u2's; a refold takes u1's back and ends with u2's grant, sent before.
    The take-back alone would be the newest: u2's grant goes out again with it, at its revision, and stands."""
    events, first_box = _two_upgrades_of_a_box()
    trip = journey(events)
    state = trip.states["S"]
    first_grant = next(event for event in trip.accepted if event["event_id"].startswith("u1:grant:"))
    # As if u1's grant had been the last sent: T stands on it, and S remembers it last.
    again = state.revision + 1
    trip.send({**first_grant, "event_id": f"{grant_made(first_grant)}:{again}", "source_revision": again})
    emitted = dict(state.emitted)
    u1_last = sorted(emitted, key=lambda key: key.startswith("u1:grant:"))  # a stable sort: u1's keys go last
    trip.states["S"] = evolve(state, revision=again, emitted=keep_sent({k: emitted[k] for k in u1_last}))
    assert trip.snapshot("T")["purchased_at"] == first_grant["occurred_at"]
    trip.send(first_box)
    assert trip.snapshot("T")["status"] == "active"
    _as_in_order(trip, [*events, first_box], "T")
