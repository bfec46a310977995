"""The serial view's JSON API against the real broker and PostgreSQL (read-only role): find, words, history, notices."""

from __future__ import annotations

import json

import psycopg2
from console_fixtures import EMAIL, NAME, insert_serial, letter, produce_at
from dashboard_fixtures import Dashboard

from lifecycle.dashboard.serial_view import FIND, MATCHES
from lifecycle.settings import Settings


def test_a_serial_is_found_by_serial_account_or_email_and_shown_whole_with_personal_data_masked(
    dashboard: Dashboard, settings: Settings, pg_dsn: str
) -> None:
    insert_serial(pg_dsn, "SN-42")
    insert_serial(pg_dsn, "SN-43")
    produce_at(settings, "deadletter", [letter(settings, "renewal for serial SN-42 refused", "renewals", 9, "SN-42")])

    for query in ("SN-42", "acct-42", EMAIL.upper()):
        status, found = dashboard.get(f"/api/serials?q={query}")
        assert status == 200, found
        assert [row["serial"] for row in found["serials"]] == (["SN-42"] if query == "SN-42" else ["SN-42", "SN-43"])
    assert dashboard.get("/api/serials?q=nobody@example.com")[1]["serials"] == []
    assert dashboard.get("/api/serials?q=")[0] == 400
    assert dashboard.get("/api/serials/SN-404")[0] == 404
    assert dashboard.get("/api/serials/SN-42", token=None)[0] == 401

    shown = dashboard.poll("/api/serials/SN-42", lambda s: len(s["deadletters"]) == 1)
    words = shown["entitlement"]
    assert words["covered"] is True
    assert words["program"] == "Advantage Premier"
    assert words["period"] == "from 2026-01-15 through 2028-01-14 (ends on 2028-01-15)"
    assert words["channels"] == ["chat", "email", "phone"]
    assert [(t["revision"], t["event_id"]) for t in shown["timeline"]] == [(2, "ren-1"), (1, "pur-1")]
    assert shown["timeline"][0]["changes"] == [{"field": "expires on", "from": "2027-01-15", "to": "2028-01-15"}]
    assert [(h["event_id"], h["type"]) for h in shown["held"]] == [("case-7", "case_opened")]
    notices = {n["kind"]: n for n in shown["notices"]}
    assert notices["renewal_confirmed"]["status"] == "sent"
    assert notices["expiry_reminder"]["skip_reason"] == "too_old"
    assert notices["renewal_confirmed"]["recipient"] == "r***@customers.example.com"
    assert shown["deadletters"][0]["reason"] == "renewal for serial SN-42 refused"
    text = json.dumps(shown)
    assert EMAIL not in text
    assert NAME not in text


def test_a_held_event_stored_before_the_year_bounds_is_shown_as_stored(dashboard: Dashboard, pg_dsn: str) -> None:
    insert_serial(pg_dsn, "SN-44")
    with psycopg2.connect(pg_dsn) as connection, connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO held_events (serial, event_id, type, occurred_at, held_since)"
            " VALUES ('SN-44', 'rn-bc', 'renewal', '0001-01-01T00:00:00+05:00', '0001-01-01T00:00:00+05:00')"
        )  # 1 BC in UTC
    status, shown = dashboard.get("/api/serials/SN-44")
    assert status == 200, shown
    held = {h["event_id"]: h for h in shown["held"]}
    assert held["rn-bc"]["held_since"].startswith("-0000-12-31T19:00:00") or "BC" in held["rn-bc"]["held_since"]
    assert held["case-7"]["held_since"][:4].isdigit()


def test_the_serial_page_is_served_behind_the_token(dashboard: Dashboard) -> None:
    assert dashboard.get("/serial", token=None)[0] == 401
    status, page = dashboard.get("/serial")
    assert status == 200
    assert 'id="lookup"' in page


def test_finding_a_serial_reads_indexes_only(migrated: Settings, pg_dsn: str) -> None:
    with psycopg2.connect(pg_dsn) as connection, connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")  # an empty table would be scanned anyway; ask what indexes allow
        cursor.execute("EXPLAIN (FORMAT JSON) " + FIND, {"q": "Someone@Example.com", "limit": MATCHES})
        row = cursor.fetchone()
    assert row is not None
    plan = json.dumps(row[0])
    assert "Seq Scan" not in plan
    for index in ("entitlements_pkey", "entitlements_by_account", "entitlements_by_email"):
        assert f'"Index Name": "{index}"' in plan
    assert '"Index Name": "delivery_ledger_recipient_day_idx"' in plan
