"""Where a serial's records belong: keyed by the serial, on the partition murmur2 gives that key."""

from __future__ import annotations

from consumers.record import Record
from lifecycle.partitioning import murmur2_partition
from schemas import InvalidMessage

# Of a key that is not the serial, this many characters are shown in the reason.
SHOWN_KEY_CHARS = 80


def shown_key(key: bytes | None) -> str:
    """A record key as text for a reason: undecodable bytes escaped, a long one cut."""
    if key is None:
        return "None"
    text = key.decode("utf-8", errors="backslashreplace")
    cut = text if len(text) <= SHOWN_KEY_CHARS else f"{text[:SHOWN_KEY_CHARS]}... ({len(text)} characters)"
    return ascii(cut)


def check_key(record: Record, serial: str) -> None:
    """Refuse a record whose key is not its document's serial (a producer that misroutes)."""
    if record.key != serial.encode():
        raise InvalidMessage(
            f"key: {shown_key(record.key)} is not the document's serial {serial!r}; "
            "its producer must key each record by its serial"
        )


def check_partition(record: Record, partitions: int | None) -> None:
    """Refuse a keyed record found off its key's murmur2 partition; `partitions` None: the count is not known."""
    if not partitions or record.key is None:
        return
    expected = murmur2_partition(record.key, partitions)
    if record.partition != expected:
        raise InvalidMessage(
            f"partition: a record keyed {shown_key(record.key)} belongs on partition {expected} of {record.topic} "
            f"(murmur2 of its key, {partitions} partitions), not {record.partition}; its producer must partition "
            "by murmur2"
        )
