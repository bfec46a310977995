"""Where a keyed record belongs: its key's murmur2 partition, as Java, kafka-python and aiokafka place it."""

from __future__ import annotations

from functools import lru_cache

from kafka.partitioner import murmur2


# A serial's key is placed a few times a message (the input's check, then each output keyed by it), and the hash is
# pure Python: each key is hashed once while it is in use.
@lru_cache(maxsize=1 << 14)
def murmur2_partition(key: bytes, partitions: int) -> int:
    """The partition murmur2 gives `key` among `partitions` (Java's `toPositive(murmur2(key)) % partitions`)."""
    return (int(murmur2(key)) & 0x7FFFFFFF) % partitions
