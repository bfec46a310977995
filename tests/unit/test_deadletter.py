"""The dead-letter record: the one shape every component writes."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from lifecycle.deadletter import (
    KEY_PREVIEW_BYTES,
    MAX_PREVIEW_BYTES,
    REASON_CHARS,
    deadletter_key,
    deadletter_record,
)
from lifecycle.topics import MAX_MESSAGE_BYTES, fits_in_a_message

FAILED_AT = datetime(2026, 3, 15, 11, 20, tzinfo=timezone(timedelta(hours=1)))


def test_a_small_utf8_input_is_kept_whole_as_text_and_base64() -> None:
    value = '{"type": "purchase", "name": "Sécurité"}'.encode()
    record = json.loads(deadletter_record("serial: missing", "p.purchases", 2, 41, b"S-1", value, "worker", FAILED_AT))
    assert record == {
        "reason": "serial: missing",
        "origin": {"topic": "p.purchases", "partition": 2, "offset": 41},
        "component": "worker",
        "failed_at": "2026-03-15T10:20:00Z",
        "payload": value.decode(),
        "payload_base64": base64.b64encode(value).decode(),
        "payload_bytes": len(value),
        "payload_sha256": hashlib.sha256(value).hexdigest(),
        "payload_truncated": False,
        "key": "S-1",
    }


def test_binary_input_has_no_text_payload_but_keeps_its_bytes() -> None:
    value = b"\xff\xfe\x00garbage"
    record = json.loads(deadletter_record("not JSON", "p.renewals", 0, 7, None, value, "worker", FAILED_AT))
    assert record["payload"] is None
    assert base64.b64decode(record["payload_base64"]) == value
    assert record["key"] is None


def test_a_tombstone_has_no_payload() -> None:
    record = json.loads(deadletter_record("empty", "p.releases", 0, 1, b"backup", None, "store", FAILED_AT))
    assert (record["payload"], record["payload_base64"], record["key"]) == (None, None, "backup")


def test_naive_failure_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        deadletter_record("x", "t", 0, 0, None, b"", "c", datetime(2026, 1, 1))


def test_utc_is_written_with_z() -> None:
    record = json.loads(deadletter_record("x", "t", 0, 0, None, b"", "c", datetime(2026, 1, 1, tzinfo=UTC)))
    assert record["failed_at"] == "2026-01-01T00:00:00Z"


def test_a_large_input_keeps_a_preview_its_size_and_sha256_never_the_whole() -> None:
    value = ('{"notes": "' + "é" * 100 + '"}').encode()
    record = json.loads(
        deadletter_record("state too large", "p.purchases", 0, 1, b"S-1", value, "worker", FAILED_AT, 64)
    )
    assert record["payload_truncated"] is True
    assert record["payload_base64"] is None
    assert (record["payload_bytes"], record["payload_sha256"]) == (len(value), hashlib.sha256(value).hexdigest())
    assert value.startswith(record["payload"].encode())
    assert len(record["payload"].encode()) in (63, 64)  # a character cut at the 64th byte is dropped


def test_a_large_binary_input_has_no_text_preview() -> None:
    value = b"\xff" * 1000
    record = json.loads(deadletter_record("not JSON", "p.purchases", 0, 1, None, value, "worker", FAILED_AT, 64))
    assert (record["payload"], record["payload_base64"], record["payload_truncated"]) == (None, None, True)


def test_no_preview_keeps_only_the_reason_origin_size_and_sha256() -> None:
    record = json.loads(deadletter_record("failed", "p.purchases", 3, 9, b"S-1", b"{}", "worker", FAILED_AT, 0))
    assert (record["payload"], record["payload_base64"], record["payload_bytes"]) == (None, None, 2)
    assert record["origin"] == {"topic": "p.purchases", "partition": 3, "offset": 9}


def test_text_that_would_escape_to_more_than_twice_the_preview_is_kept_as_base64_only() -> None:
    value = b"\x00\x01" * 100  # UTF-8, but every byte becomes six in JSON
    record = json.loads(deadletter_record("not JSON", "p.purchases", 0, 1, None, value, "worker", FAILED_AT, 256))
    assert record["payload"] is None
    assert base64.b64decode(record["payload_base64"]) == value


def test_a_long_reason_is_cut() -> None:
    record = json.loads(deadletter_record("x" * 5000, "t", 0, 0, None, b"", "c", FAILED_AT))
    assert len(record["reason"]) == REASON_CHARS
    assert record["reason"].endswith("…")


def test_a_letter_is_keyed_by_the_original_key_unless_it_is_only_a_preview() -> None:
    assert deadletter_key(b"S-1", b"{}", 64) == b"S-1"
    assert deadletter_key(b"K" * 5000, b"{}", 64) == b"K" * KEY_PREVIEW_BYTES
    assert deadletter_key(None, b"{}", 64) is None


HOSTILE_VALUES = {
    "control characters": b"\x00\x1f" * (MAX_MESSAGE_BYTES // 2 - 4096),
    "quotes and backslashes": b'"\\' * (MAX_MESSAGE_BYTES // 2 - 4096),
    "binary": bytes(range(256)) * (MAX_MESSAGE_BYTES // 256 - 16),
    "just under the preview": b"\x01" * (MAX_PREVIEW_BYTES - 2048),
    "quotes just under the preview": b'"' * (MAX_PREVIEW_BYTES - 2048),
    "many-byte characters": "\U0001f600".encode() * (MAX_MESSAGE_BYTES // 4 - 1024),
}


@pytest.mark.parametrize("value", HOSTILE_VALUES.values(), ids=HOSTILE_VALUES.keys())
@pytest.mark.parametrize(
    "key", [b"S-1", b"\xff" * 2048, b"\x00" * (MAX_MESSAGE_BYTES // 3)], ids=["short", "binary", "huge"]
)
def test_every_letter_fits_in_a_message_at_the_largest_preview(key: bytes, value: bytes) -> None:
    reason = "\x00" * 5000
    letter = deadletter_record(reason, "p.purchases", 0, 1, key, value, "worker", FAILED_AT, MAX_PREVIEW_BYTES)
    assert fits_in_a_message(deadletter_key(key, value, MAX_PREVIEW_BYTES), letter)
