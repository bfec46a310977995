"""Dead letters as a work queue: filters, reason groups, pages, redriven marks and links, masked detail."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from lifecycle.dashboard.deadletters import summarize
from lifecycle.dashboard.letter_detail import detail
from lifecycle.dashboard.operator import positions
from lifecycle.dashboard.queue import Filters, annotate, queue_view, reason_group
from lifecycle.deadletter import deadletter_record

AT = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
LETTERS = "lc.deadletter"


def letter(offset: int, reason: str, topic: str = "lc.renewals", serial: str = "SN-1", at: str = "") -> dict[str, Any]:
    value = deadletter_record(
        reason, topic, 0, 100 + offset, serial.encode(), b'{"serial": "%s"}' % serial.encode(), "processor", AT
    )
    item = summarize(0, offset, value)
    return {**item, "failed_at": at or item["failed_at"]}


def test_reasons_naming_a_serial_or_a_number_fall_in_one_group() -> None:
    assert (
        reason_group("no purchase for serial SN-7 after 30 days", "SN-7")
        == "no purchase for serial <serial> after # days"
    )


def test_filters_groups_and_pages() -> None:
    letters = annotate(
        [letter(i, f"no purchase for serial SN-{i} after 30 days", serial=f"SN-{i}") for i in range(45)]
        + [letter(50, "schema: serial: is required", topic="lc.purchases", serial="SN-X")],
        [],
        LETTERS,
    )
    view = queue_view(letters, Filters(), 3, 20)
    assert (view["total"], view["matched"], view["pages"], len(view["items"])) == (46, 46, 3, 6)
    assert [(g["group"], g["count"]) for g in view["groups"]] == [
        ("no purchase for serial <serial> after # days", 45),
        ("schema: serial: is required", 1),
    ]
    assert queue_view(letters, Filters(topic="purchases"), 1)["matched"] == 1
    assert queue_view(letters, Filters(topic="lc.renewals", serial="SN-3"), 1)["matched"] == 1
    assert queue_view(letters, Filters(component="store"), 1)["matched"] == 0
    only = queue_view(letters, Filters(group="schema: serial: is required"), 1)
    assert only["matched"] == 1
    assert len(only["groups"]) == 2


def test_time_filters_take_a_day_or_an_instant() -> None:
    letters = annotate(
        [letter(1, "a", at="2026-03-01T10:00:00Z"), letter(2, "b", at="2026-03-02T09:00:00Z")], [], LETTERS
    )
    assert queue_view(letters, Filters(since="2026-03-02"), 1)["matched"] == 1
    assert queue_view(letters, Filters(until="2026-03-01"), 1)["matched"] == 1
    assert queue_view(letters, Filters(until="2026-03-02T08:59"), 1)["matched"] == 1


def test_a_redriven_letter_is_marked_and_the_one_that_failed_again_is_linked_to_it() -> None:
    audit = [
        {
            "at": "2026-03-02T00:00:00Z",
            "actor": "cli",
            "deadletter": {"partition": 0, "offset": 1},
            "sent_to": {"topic": "lc.renewals", "partition": 0, "offset": 900},
        },
    ]
    first = letter(1, "x")
    again = {
        **letter(2, "x", at="2026-03-02T00:00:01Z"),
        "origin": {"topic": "lc.renewals", "partition": 0, "offset": 900},
    }
    shown = {item["id"]: item for item in annotate([first, again], audit, LETTERS)}
    assert shown["0-1"]["redriven"][0]["actor"] == "cli"
    assert shown["0-2"]["redrive_of"] == "0-1"
    assert shown["0-2"]["redriven"] == []
    assert shown["0-1"]["redrive_of"] is None


def _sent_back(topic: str, offset: int, failed_at: str, at: str = "2026-03-02T00:00:00Z") -> dict[str, Any]:
    return {
        "at": at,
        "actor": "cli",
        "deadletter": {"topic": topic, "partition": 0, "offset": offset, "failed_at": failed_at},
        "original": {"topic": "lc.renewals", "partition": 0, "offset": 100 + offset, "sha256": "0" * 64},
        "sent_to": {"topic": "lc.renewals", "partition": 0, "offset": 900},
    }


def test_a_letter_is_marked_only_by_a_line_naming_its_topic_and_failure() -> None:
    first = letter(1, "x")
    audit = [_sent_back(LETTERS, 1, first["failed_at"])]
    assert annotate([first], audit, LETTERS)[0]["redriven"][0]["actor"] == "cli"
    # The dead-letter topic recreated: another letter now sits at the same position.
    newer = letter(1, "x", at="2026-03-05T00:00:00Z")
    assert annotate([newer], audit, LETTERS)[0]["redriven"] == []
    # Another prefix's dead-letter topic in the same home.
    assert annotate([first], [_sent_back("other.deadletters", 1, first["failed_at"])], LETTERS)[0]["redriven"] == []


def test_a_letter_links_only_to_a_send_made_before_it_failed() -> None:
    origin = {"topic": "lc.renewals", "partition": 0, "offset": 900}
    audit = [_sent_back(LETTERS, 1, "2026-03-01T10:00:00+00:00")]
    before = {**letter(2, "x", at="2026-03-01T23:00:00Z"), "origin": origin}  # an older input at a recreated offset
    after = {**letter(3, "x", at="2026-03-02T00:00:05Z"), "origin": origin}
    shown = {item["id"]: item["redrive_of"] for item in annotate([before, after], audit, LETTERS)}
    assert shown == {"0-2": None, "0-3": "0-1"}


def test_the_detail_decodes_json_and_masks_personal_data_but_not_product_names() -> None:
    original = {
        "serial": "SN-1",
        "product": {"name": "Backup Advanced"},
        "contact": {"email": "robin@example.com", "name": "Robin Quill"},
    }
    value = deadletter_record("rule", "lc.purchases", 0, 1, b"SN-1", orjson.dumps(original), "processor", AT)
    shown = detail(0, 5, value)
    assert shown["payload"]["json"]["contact"] == {"email": "r***@example.com", "name": "R***"}
    assert shown["payload"]["json"]["product"]["name"] == "Backup Advanced"
    assert shown["can_redrive"] is True
    assert "robin" not in orjson.dumps(shown).decode().lower()
    assert "robin" not in summarize(0, 5, value)["preview"].lower()


def test_a_letter_named_twice_for_redrive_is_one_letter() -> None:
    assert positions(None, {"ids": ["0-5", "1-2", "0-5"]}) == [(0, 5), (1, 2)]  # type: ignore[arg-type]
