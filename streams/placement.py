"""Where a keyed input message belongs: its key's murmur2 partition, as Java, kafka-python and aiokafka place it.

The serial table is co-partitioned with the input topics only when every producer places keys alike. Other
clients hash differently (librdkafka's CRC32, sarama's FNV-1a), so the processor checks each message's
partition here and sends a misplaced one on to the partition murmur2 gives its key. No Kafka or Faust here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from lifecycle.partitioning import murmur2_partition

REROUTED_FROM = "lifecycle-rerouted-from"  # header on a rerouted copy: <topic>/<partition>/<offset> of the original
UNKNOWN_SOURCE = "unknown"
SOURCE_CHARS = 64
_NOT_LABEL = re.compile(r"[^A-Za-z0-9._-]")

Headers = Sequence[tuple[str, bytes]]


@dataclass(frozen=True)
class Reroute:
    """Send the message on to `partition` of its topic: same key and value, these headers."""

    partition: int
    headers: tuple[tuple[str, bytes], ...]


@dataclass(frozen=True)
class Refuse:
    """A rerouted copy that is still misplaced: dead-letter it with this reason instead of sending it again."""

    reason: str


def rerouted_from(headers: Headers | None) -> str | None:
    """The origin a rerouted copy names in its header, or None for a message as its producer sent it."""
    for name, value in headers or ():
        if name == REROUTED_FROM:
            return value.decode("utf-8", errors="backslashreplace")
    return None


def place(
    topic: str, partition: int, offset: int, key: bytes | None, headers: Headers | None, partitions: int
) -> Reroute | Refuse | None:
    """None when the message is to be handled where it is (its key's partition, or no key); else what to do."""
    if key is None:
        return None  # nothing to place by: the handler dead-letters it for its key
    wanted = murmur2_partition(key, partitions)
    if partition == wanted:
        return None
    origin = rerouted_from(headers)
    if origin is not None:
        return Refuse(
            f"misplaced after rerouting: on partition {partition}, but murmur2 puts the key on {wanted} of "
            f"{partitions} (rerouted from {origin}; do the workers or the topic disagree on the partition count?)"
        )
    here = f"{topic}/{partition}/{offset}".encode()
    return Reroute(wanted, (*(headers or ()), (REROUTED_FROM, here)))


def source_label(value: bytes | None) -> str:
    """The event's `source` as a metric label: only [A-Za-z0-9._-], at most 64 characters; else "unknown"."""
    try:
        document = orjson.loads(value or b"")
    except orjson.JSONDecodeError:
        return UNKNOWN_SOURCE
    source = document.get("source") if isinstance(document, dict) else None
    if not isinstance(source, str):
        return UNKNOWN_SOURCE
    return _NOT_LABEL.sub("_", source[:SOURCE_CHARS]) or UNKNOWN_SOURCE
