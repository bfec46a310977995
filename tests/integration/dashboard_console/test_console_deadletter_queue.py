"""Dead letters as a work queue against the real broker: counts by reason, pages, filters, a letter's detail."""

from __future__ import annotations

import json

from console_fixtures import EMAIL, NAME, letter, produce_at
from dashboard_fixtures import Dashboard

from lifecycle.settings import Settings


def test_letters_are_grouped_by_reason_paged_and_filtered(dashboard: Dashboard, settings: Settings) -> None:
    letters = [
        letter(settings, f"no purchase for serial SN-{i} after 30 days", "renewals", i, f"SN-{i}") for i in range(25)
    ]
    letters += [
        letter(settings, "refused by PostgreSQL: bad row", "entitlements", 90 + i, f"SX-{i}", "store") for i in range(3)
    ]
    produce_at(settings, "deadletter", letters)

    queue = dashboard.poll("/api/deadletters?per_page=10", lambda q: q["total"] == 28)
    assert (queue["matched"], queue["pages"], len(queue["items"])) == (28, 3, 10)
    assert [(g["group"], g["count"], g["components"]) for g in queue["groups"]] == [
        ("no purchase for serial <serial> after # days", 25, ["processor"]),
        ("refused by PostgreSQL: bad row", 3, ["store"]),
    ]
    last = dashboard.get("/api/deadletters?per_page=10&page=3")[1]
    assert (last["page"], len(last["items"])) == (3, 8)
    assert dashboard.get("/api/deadletters?component=store")[1]["matched"] == 3
    assert dashboard.get("/api/deadletters?topic=entitlements")[1]["matched"] == 3
    assert dashboard.get(f"/api/deadletters?topic={settings.topic('renewals')}")[1]["matched"] == 25
    assert [i["serial"] for i in dashboard.get("/api/deadletters?serial=SN-7")[1]["items"]] == ["SN-7"]
    assert dashboard.get("/api/deadletters?since=2999-01-01")[1]["matched"] == 0
    assert dashboard.get("/api/deadletters?until=2999-01-01")[1]["matched"] == 28
    group = dashboard.get("/api/deadletters?group=refused%20by%20PostgreSQL%3A%20bad%20row")[1]
    assert group["matched"] == 3
    assert len(group["groups"]) == 2
    assert dashboard.get("/api/deadletters?page=x")[0] == 400
    assert EMAIL not in json.dumps(queue)


def test_a_letter_opens_with_its_original_decoded_and_masked(dashboard: Dashboard, settings: Settings) -> None:
    ((partition, offset),) = produce_at(settings, "deadletter", [letter(settings, "rule: x", "purchases", 3, "SN-1")])
    status, shown = dashboard.get(f"/api/deadletters/{partition}-{offset}")
    assert status == 200, shown
    assert shown["reason"] == "rule: x"
    assert shown["origin"] == {"topic": settings.topic("purchases"), "partition": 0, "offset": 3}
    assert shown["payload"]["format"] == "json"
    assert shown["payload"]["json"] == {
        "serial": "SN-1",
        "contact": {"email": "r***@customers.example.com", "name": "R***"},
    }
    assert shown["can_redrive"] is True
    assert EMAIL not in json.dumps(shown)
    assert NAME not in json.dumps(shown)
    assert dashboard.get(f"/api/deadletters/{partition}-{offset + 50}")[0] == 404
