"""The serials one batch of messages touched: each read from the table once and written back once, at the end."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from streams.stored import StoredSerial

Load = Callable[[str], StoredSerial | None]


@dataclass
class SerialBatch:
    """Reads through `load` once per serial; keeps what the batch stored; `flush` writes each changed serial once."""

    load_stored: Load
    _read: dict[str, StoredSerial | None] = field(default_factory=dict)
    _changed: dict[str, tuple[StoredSerial, bytes, int]] = field(default_factory=dict)

    def load(self, serial: str) -> StoredSerial | None:
        """The serial's value as this batch left it, else as the table has it."""
        changed = self._changed.get(serial)
        if changed is not None:
            return changed[0]
        if serial not in self._read:
            self._read[serial] = self.load_stored(serial)
        return self._read[serial]

    def store(self, serial: str, stored: StoredSerial, raw: bytes, partition: int) -> None:
        """Keep the serial's new value (`raw`, encoded) until `flush`."""
        self._changed[serial] = (stored, raw, partition)

    def flush(self) -> Iterator[tuple[str, StoredSerial, bytes, int]]:
        """Each serial the batch changed with its last value, to write; the next batch reads afresh."""
        changed, self._changed = self._changed, {}
        self._read.clear()
        for serial, (stored, raw, partition) in changed.items():
            yield serial, stored, raw, partition
