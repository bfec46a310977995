"""Redrive from the dashboard: refused without the operator token, confirmed, audited, marked and linked."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import orjson
import pytest
from console_fixtures import OPERATOR, letter, post, produce_at, read_with_headers
from dashboard_fixtures import Dashboard

from lifecycle.deadletter import deadletter_record
from lifecycle.redrive_audit import HEADER
from lifecycle.settings import Settings


def test_redrive_is_off_without_the_operator_token(dashboard: Dashboard, settings: Settings) -> None:
    ((partition, offset),) = produce_at(settings, "deadletter", [letter(settings, "rule: x", "renewals", 3, "SN-1")])
    dashboard.poll("/api/deadletters", lambda q: q["total"] == 1)
    status, answer = post(
        dashboard,
        "/api/deadletters/redrive",
        {"ids": [f"{partition}-{offset}"], "confirm": True, "expected": 1},
        OPERATOR,
    )
    assert status == 403
    assert "LIFECYCLE_DASHBOARD_OPERATOR_TOKEN" in answer["error"]
    assert read_with_headers(settings, "renewals") == []
    assert "deadletter_redrive_refused" in dashboard.log.read_text()
    assert not (settings.home / "audit" / "redrive.jsonl").exists()


@pytest.mark.parametrize("operator_token", [OPERATOR])
def test_redrive_needs_the_token_and_a_confirmation_and_is_audited_marked_and_linked(
    dashboard: Dashboard, settings: Settings, operator_token: str
) -> None:
    records = [letter(settings, "renewal before its purchase", "renewals", 3, "SN-1")] * 2
    records.append(letter(settings, "other", "upgrades", 4, "SN-2"))
    (first, _, other) = produce_at(settings, "deadletter", records)
    dashboard.poll("/api/deadletters", lambda q: q["total"] == 3)
    one = {"ids": [f"{first[0]}-{first[1]}"]}

    assert post(dashboard, "/api/deadletters/redrive", {**one, "confirm": True, "expected": 1})[0] == 403
    assert post(dashboard, "/api/deadletters/redrive", {**one, "confirm": True, "expected": 1}, "wrong")[0] == 403
    assert post(dashboard, "/api/deadletters/redrive", {"filters": {}}, OPERATOR)[0] == 400
    assert post(dashboard, "/api/deadletters/redrive", one, OPERATOR) == (
        200,
        {"count": 1, "confirm": "send 1 letter(s) back?"},
    )
    assert read_with_headers(settings, "renewals") == []  # a preview sends nothing
    assert post(dashboard, "/api/deadletters/redrive", {**one, "confirm": True, "expected": 2}, OPERATOR)[0] == 409

    status, done = post(dashboard, "/api/deadletters/redrive", {**one, "confirm": True, "expected": 1}, OPERATOR)
    assert status == 200, done
    assert done["sent"] == 1
    (sent,) = read_with_headers(settings, "renewals")
    assert orjson.loads(sent.value)["serial"] == "SN-1"
    assert (HEADER, f"{settings.topic('deadletter')}/{first[0]}/{first[1]}".encode()) in sent.headers
    (line,) = [json.loads(x) for x in (settings.home / "audit" / "redrive.jsonl").read_text().splitlines()]
    assert line["event"] == "deadletter_redriven"
    assert line["actor"].startswith("dashboard operator from 127.0.0.1")
    failed_at = orjson.loads(records[0][1])["failed_at"]
    assert line["deadletter"] == {
        "topic": settings.topic("deadletter"),
        "partition": first[0],
        "offset": first[1],
        "failed_at": failed_at,
    }
    assert line["original"]["topic"] == settings.topic("renewals")
    assert line["sent_to"] == {"topic": settings.topic("renewals"), "partition": sent.partition, "offset": sent.offset}
    deadline = time.monotonic() + 10
    while "deadletter_redriven" not in dashboard.log.read_text():
        assert time.monotonic() < deadline, "no audit line in the dashboard's log"
        time.sleep(0.2)

    # The original fails again: its new letter names the redriven position and is linked to the first letter.
    again = deadletter_record(
        "renewal before its purchase",
        settings.topic("renewals"),
        sent.partition,
        sent.offset,
        b"SN-1",
        sent.value,
        "processor",
        datetime.now(UTC),
    )
    ((_, again_offset),) = produce_at(settings, "deadletter", [(b"SN-1", again)])
    queue = dashboard.poll("/api/deadletters", lambda q: q["total"] == 4)
    by_id = {item["id"]: item for item in queue["items"]}
    assert by_id[f"0-{again_offset}"]["redrive_of"] == f"{first[0]}-{first[1]}"
    assert by_id[f"{first[0]}-{first[1]}"]["redriven"][0]["sent_to"]["offset"] == sent.offset
    assert dashboard.get(f"/api/deadletters/0-{again_offset}")[1]["redrive_of"] == f"{first[0]}-{first[1]}"

    # A filtered group: the letter redriven before is left out (unless asked again), and so is the other letter of
    # the original sent back before; the copy that failed again is sent.
    group = {"filters": {"topic": "renewals", "serial": "SN-1"}}
    preview = post(dashboard, "/api/deadletters/redrive", group, OPERATOR)[1]
    assert (preview["count"], preview["redriven_before"]) == (2, 1)
    assert post(dashboard, "/api/deadletters/redrive", {**group, "again": True}, OPERATOR)[1]["count"] == 3
    status, done = post(dashboard, "/api/deadletters/redrive", {**group, "confirm": True, "expected": 2}, OPERATOR)
    assert status == 200, done
    assert done["sent"] == 1
    assert done["skipped"] == {"redriven before (again: true sends it again)": 2}
    assert len(read_with_headers(settings, "renewals")) == 2
    assert other not in [(0, o["deadletter"]["offset"]) for o in done["audit"]]


@pytest.mark.parametrize("operator_token", [OPERATOR])
def test_wrong_operator_tokens_lock_the_client_out_even_with_the_right_login_token(
    dashboard: Dashboard, settings: Settings, operator_token: str
) -> None:
    body = {"filters": {"reason": "x"}}
    statuses = [post(dashboard, "/api/deadletters/redrive", body, f"guess-{n}")[0] for n in range(5)]
    assert statuses == [403] * 5
    status, answer = post(dashboard, "/api/deadletters/redrive", body, OPERATOR)
    assert status == 429  # locked out: even the right operator token waits
    assert "too many wrong tokens" in answer["error"]
