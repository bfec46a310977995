"""Choosing dead letters to send back: filters, one send per original, nothing outside the deployment."""

from __future__ import annotations

from datetime import UTC, datetime

from lifecycle.deadletter import deadletter_record
from lifecycle.redrive import Letter, choose, parse_letter

AT = datetime(2026, 11, 1, tzinfo=UTC)


def letter(
    reason: str, topic: str = "lc.renewals", value: bytes | None = b'{"e":1}', component: str = "processor"
) -> Letter | None:
    key = b"SF-1"
    return parse_letter(key, deadletter_record(reason, topic, 0, 7, key, value, component, AT))


def test_a_dead_letter_record_gives_back_its_original_key_and_bytes() -> None:
    binary = b"\xff\xfe not utf-8"
    parsed = letter("not JSON", value=binary)
    assert parsed == Letter("not JSON", "lc.renewals", "processor", b"SF-1", binary)


def test_what_is_not_a_dead_letter_record_is_never_sent() -> None:
    assert parse_letter(None, b"{not json") is None
    assert parse_letter(None, b'{"reason": "x"}') is None
    assert parse_letter(None, None) is None
    choice = choose([parse_letter(None, b"[]")], "lc")
    assert choice.chosen == []
    assert choice.skipped == {"not a dead-letter record": 1}


def test_filters_by_reason_origin_and_component() -> None:
    letters = [
        letter("renewal of unknown serial SF-1"),
        letter("upgrade of unknown serial SF-2", topic="lc.upgrades", value=b"2"),
        letter("status: not one of the statuses", topic="lc.entitlements", value=b"3", component="store"),
    ]
    assert [x.reason for x in choose(letters, "lc", reason="unknown serial").chosen] == [
        "renewal of unknown serial SF-1",
        "upgrade of unknown serial SF-2",
    ]
    assert [x.origin_topic for x in choose(letters, "lc", origin="upgrades").chosen] == ["lc.upgrades"]
    assert [x.origin_topic for x in choose(letters, "lc", origin="lc.renewals").chosen] == ["lc.renewals"]
    assert [x.component for x in choose(letters, "lc", component="store").chosen] == ["store"]
    assert choose(letters, "lc", reason="unknown serial", component="store").skipped == {"filtered out": 3}


def test_each_original_is_sent_once_and_only_to_this_deployments_topics() -> None:
    letters = [
        letter("renewal of unknown serial SF-1"),
        letter("renewal of unknown serial SF-1"),  # refused again after an earlier send
        letter("renewal of unknown serial SF-1", topic="other.renewals"),
        letter("(document): empty message (no value)", value=None),
    ]
    choice = choose(letters, "lc")
    assert len(choice.chosen) == 1
    assert choice.skipped == {"sent once already": 1, "origin outside this deployment": 1, "empty original": 1}
