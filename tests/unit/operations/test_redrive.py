"""Choosing dead letters to send back: filters, one send per original, nothing outside the deployment."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import orjson

from lifecycle.deadletter import deadletter_record
from lifecycle.redrive import LATEST_STATE, REDRIVEN_BEFORE, choose
from lifecycle.redrive_letters import Letter, parse_letter
from lifecycle.redriven import Redriven

AT = datetime(2026, 11, 1, tzinfo=UTC)
FAILED_AT = "2026-11-01T00:00:00Z"


def letter(
    reason: str,
    topic: str = "lc.renewals",
    value: bytes | None = b'{"e":1}',
    component: str = "processor",
    preview_bytes: int = 65_536,
) -> Letter | None:
    key = b"SF-1"
    return parse_letter(key, deadletter_record(reason, topic, 0, 7, key, value, component, AT, preview_bytes))


def test_a_dead_letter_record_gives_back_its_original_key_and_bytes() -> None:
    binary = b"\xff\xfe not utf-8"
    parsed = letter("not JSON", value=binary)
    sha256 = hashlib.sha256(binary).hexdigest()
    assert parsed == Letter(
        "not JSON", "lc.renewals", "processor", b"SF-1", binary, len(binary), sha256, -1, -1, 0, 7, FAILED_AT
    )
    assert parsed.kept_whole


def test_a_letter_written_before_sizes_were_kept_still_gives_back_its_bytes() -> None:
    document = orjson.loads(deadletter_record("not JSON", "lc.renewals", 0, 7, b"SF-1", b"x", "processor", AT))
    for name in ("payload_bytes", "payload_sha256", "payload_truncated"):
        del document[name]
    parsed = parse_letter(b"SF-1", orjson.dumps(document))
    expected = Letter("not JSON", "lc.renewals", "processor", b"SF-1", b"x", None, None, -1, -1, 0, 7, FAILED_AT)
    assert parsed == expected
    assert parsed.kept_whole


def test_a_letter_whose_bytes_do_not_match_its_sha256_is_not_a_dead_letter_record() -> None:
    document = orjson.loads(deadletter_record("not JSON", "lc.renewals", 0, 7, b"SF-1", b"x", "processor", AT))
    document["payload_sha256"] = hashlib.sha256(b"y").hexdigest()
    assert parse_letter(b"SF-1", orjson.dumps(document)) is None


def test_an_original_too_large_to_keep_is_listed_by_sha256_once_and_never_sent() -> None:
    big = b'{"serial": "SF-1", "notes": "' + b"x" * 200 + b'"}'
    letters = [
        letter("state too large", value=big, preview_bytes=64),
        letter("state too large", value=big, preview_bytes=64),  # dead-lettered twice: listed once
        letter("renewal of unknown serial SF-1"),
    ]
    choice = choose(letters, "lc")
    assert [x.reason for x in choice.chosen] == ["renewal of unknown serial SF-1"]
    (not_kept,) = choice.not_kept
    assert (not_kept.payload, not_kept.size, not_kept.sha256) == (None, len(big), hashlib.sha256(big).hexdigest())
    assert (
        not_kept.describe()
        == f"lc.renewals, {len(big)} bytes, sha256 {hashlib.sha256(big).hexdigest()}: state too large"
    )
    assert choice.skipped == {"original not kept whole, listed once already": 1}
    assert choose(letters, "lc", reason="unknown serial").not_kept == []


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
        letter("recipient: not one plain address", topic="lc.notices", value=b"3", component="notifier"),
    ]
    assert [x.reason for x in choose(letters, "lc", reason="unknown serial").chosen] == [
        "renewal of unknown serial SF-1",
        "upgrade of unknown serial SF-2",
    ]
    assert [x.origin_topic for x in choose(letters, "lc", origin="upgrades").chosen] == ["lc.upgrades"]
    assert [x.origin_topic for x in choose(letters, "lc", origin="lc.renewals").chosen] == ["lc.renewals"]
    assert [x.component for x in choose(letters, "lc", component="notifier").chosen] == ["notifier"]
    assert choose(letters, "lc", reason="unknown serial", component="notifier").skipped == {"filtered out": 3}


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


def test_letters_from_latest_state_topics_and_letters_redriven_before_are_passed_over() -> None:
    letters = [
        letter("status: not one of the statuses", topic="lc.entitlements", component="store"),
        letter("value out of range", topic="lc.holds", component="store"),
        letter("schema_version: newer than this pipeline understands", topic="lc.releases"),
        parse_letter(b"SF-1", deadletter_record("r", "lc.renewals", 0, 7, b"SF-1", b"{}", "processor", AT), 1, 40),
        parse_letter(b"SF-1", deadletter_record("r", "lc.renewals", 0, 8, b"SF-1", b"[]", "processor", AT), 1, 41),
    ]
    named = {(1, 40, FAILED_AT, ("lc.renewals", 0, 7)), (2, 41, FAILED_AT, ("lc.renewals", 0, 8))}
    choice = choose(letters, "lc", redriven=Redriven(letters=frozenset(named)))
    assert [(x.partition, x.offset) for x in choice.chosen] == [(1, 41)]
    assert choice.skipped == {LATEST_STATE: 3, REDRIVEN_BEFORE: 1}
    assert choice.total == 5
