"""SerialBatch: a serial is read from the table once per batch and written back once, with its last value."""

from __future__ import annotations

from datetime import UTC, datetime

from lifecycle.rules import SerialState
from streams.batch import SerialBatch
from streams.sent import Sent
from streams.stored import StoredSerial


def stored(event_id: str) -> StoredSerial:
    state = SerialState(serial="SN-1", clock=datetime(2026, 1, 1, tzinfo=UTC))
    return StoredSerial(state).after(state, Sent(event_id))


def test_each_serial_is_read_once_and_sees_what_the_batch_stored() -> None:
    reads: list[str] = []
    table = {"SN-1": stored("e-0")}

    def load(serial: str) -> StoredSerial | None:
        reads.append(serial)
        return table.get(serial)

    batch = SerialBatch(load)
    assert batch.load("SN-1") is table["SN-1"]
    assert batch.load("SN-1") is table["SN-1"]
    assert batch.load("SN-2") is None
    assert batch.load("SN-2") is None
    assert reads == ["SN-1", "SN-2"]
    first, second = stored("e-1"), stored("e-2")
    batch.store("SN-1", first, b"v1", 3)
    assert batch.load("SN-1") is first
    batch.store("SN-1", second, b"v2", 3)
    assert batch.load("SN-1") is second
    assert reads == ["SN-1", "SN-2"]


def test_flush_writes_each_changed_serial_once_with_its_last_value_then_reads_afresh() -> None:
    written: list[tuple[str, bytes, int]] = []
    batch = SerialBatch(lambda serial: None)
    batch.store("SN-1", stored("e-1"), b"v1", 3)
    batch.store("SN-2", stored("e-2"), b"w1", 4)
    batch.store("SN-1", stored("e-3"), b"v2", 3)
    written += [(serial, raw, partition) for serial, _, raw, partition in batch.flush()]
    assert written == [("SN-1", b"v2", 3), ("SN-2", b"w1", 4)]
    assert list(batch.flush()) == []
    assert batch.load("SN-1") is None  # nothing carried into the next batch
