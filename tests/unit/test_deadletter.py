"""The dead-letter record: the one shape every component writes."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from lifecycle.deadletter import deadletter_record

FAILED_AT = datetime(2026, 3, 15, 11, 20, tzinfo=timezone(timedelta(hours=1)))


def test_utf8_input_is_kept_as_text_and_base64() -> None:
    value = '{"type": "purchase", "name": "Sécurité"}'.encode()
    record = json.loads(deadletter_record("serial: missing", "p.purchases", 2, 41, b"S-1", value, "worker", FAILED_AT))
    assert record == {
        "reason": "serial: missing",
        "origin": {"topic": "p.purchases", "partition": 2, "offset": 41},
        "component": "worker",
        "failed_at": "2026-03-15T10:20:00Z",
        "payload": value.decode(),
        "payload_base64": base64.b64encode(value).decode(),
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
