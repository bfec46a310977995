"""A serial's entitlement in words and its revisions as a timeline."""

from __future__ import annotations

from typing import Any

from examples import example

from lifecycle.dashboard.serial_words import in_words, timeline


def snapshot(revision: int, status: str, expires: str | None, event: str) -> dict[str, Any]:
    """The contract's example snapshot, without free upgrades, as revision `revision` of SN-1 until `expires`."""
    document = example("entitlement")
    document.update(serial="SN-1", account_id="acct-1", revision=revision, status=status, last_event_id=event)
    document.update(updated_at=f"2026-0{revision}-01T00:00:00Z")
    document["contact"] = {"email": "robin@example.com", "name": "Robin Quill"}
    document["support"].update(starts_on="2026-01-15", expires_on=expires, free_upgrades=False)
    return document


def test_the_entitlement_in_words_names_coverage_program_period_and_channels_and_masks_the_contact() -> None:
    words = in_words(snapshot(2, "active", "2027-01-15", "ren-1"))
    assert words["covered"] is True
    assert words["program"] == "Advantage Premier"
    assert words["period"] == "from 2026-01-15 through 2027-01-14 (ends on 2027-01-15)"
    assert words["channels_words"] == "chat, email, phone"
    assert words["extras"] == ["24x7", "priority"]
    assert words["contact"] == {"email": "r***@example.com", "name": "R***"}
    assert in_words(snapshot(1, "expired", "2026-01-15", "t"))["status_words"] == "not covered: support expired"


def test_the_timeline_is_newest_first_with_the_event_and_what_changed() -> None:
    shown = timeline([snapshot(1, "active", "2027-01-15", "pur-1"), snapshot(2, "active", "2028-01-15", "ren-1")])
    assert [(t["revision"], t["event_id"]) for t in shown] == [(2, "ren-1"), (1, "pur-1")]
    assert shown[0]["changes"] == [{"field": "expires on", "from": "2027-01-15", "to": "2028-01-15"}]
    assert {"field": "status", "from": None, "to": "active"} in shown[1]["changes"]
    assert [t["note"] for t in shown] == [None, None]


def test_a_revision_that_changes_nothing_shown_says_so() -> None:
    # A source that sends an upgrade grant makes a new revision of the same terms.
    shown = timeline([snapshot(1, "active", "2027-01-15", "pur-1"), snapshot(2, "active", "2027-01-15", "upg-1")])
    assert shown[0]["changes"] == []
    assert shown[0]["note"] == "no change to the fields shown here"
