"""The serial table's changelog: its topic, made and checked before faust starts, and writes the Checkpoint tracks.

`table[key] = value` queues the changelog record in faust's producer buffer without telling anyone when it
reaches the broker. Here every write goes out through the Outbox, whose deliveries the Checkpoint tracks, so no
offset is committed before the changelog holds the state it led to (else a kill -9 or a handover would restore
stale state).

faust would create the topic itself on the first write, with whatever partition count it is given; one made by
something else with another count breaks the table's co-partitioning with the inputs. So the worker creates it
at start from CHANGELOG and refuses to start, in one line, when it exists with another partition count.
"""

from __future__ import annotations

from typing import Any

import rocksdict
from faust.stores.rocksdb import Store as RocksDBStore
from kafka.admin import NewTopic

from lifecycle.admin import admin_client
from lifecycle.errors import UserError
from lifecycle.groups import CHANGELOG_SUFFIX, PROCESSOR_TABLE
from lifecycle.settings import Settings
from lifecycle.topics import PARTITIONS, TopicSpec
from streams.outbox import Outbox

TABLE = PROCESSOR_TABLE
# faust names a table's changelog `<app id>-<table>-changelog`; the app id is the processor's group.
CHANGELOG = TopicSpec(CHANGELOG_SUFFIX, PARTITIONS, cleanup_policy="compact")
TOPIC_ALREADY_EXISTS = 36


class ChangelogWrites:
    """Writes to one faust table, each changelog record sent through the Outbox and tracked until the broker has it.

    The records go straight to the producer, not through faust's own send buffer (which pauses the input flow
    while more than 100 wait, and sends them one at a time); once a batch of them is acknowledged the offset of
    its last record is kept in the store, as faust does, so a restart recovers the table from there.
    """

    def __init__(self, table: Any, topic: str, outbox: Outbox) -> None:
        self._table = table
        self._topic = topic
        self._outbox = outbox
        self._waiting: dict[int, list[tuple[bytes, bytes]]] = {}  # partition -> values not yet in the local store
        outbox.on_sent(topic, self._persisted)

    def write(self, key: bytes, value: bytes, partition: int) -> None:
        """Queue the key's value for the local store (`keep`) and its changelog record (on the source's partition)."""
        if isinstance(self._table.data, RocksDBStore) and self._table.data.use_rocksdict:
            self._waiting.setdefault(partition, []).append((key, value))
        else:
            self._table.data[key] = value
        self._outbox.add("changelog", self._topic, key, value, partition)

    def keep(self) -> None:
        """Write the queued values to the local store, one RocksDB write batch per partition (half a put's cost)."""
        waiting, self._waiting = self._waiting, {}
        store = self._table.data
        for partition, values in waiting.items():
            batch = rocksdict.WriteBatch(raw_mode=True)
            for key, value in values:
                batch.put(key, value)
            store._db_for_partition(partition).write(batch)  # faust opens a partition's database when first asked

    def _persisted(self, metadata: Any, count: int) -> None:
        self._table.data.set_persisted_offset(metadata.topic_partition, metadata.offset + count - 1)


def ensure_changelog_topic(settings: Settings) -> None:
    """Create the changelog topic when missing; a UserError when it exists with another partition count."""
    name = CHANGELOG.name(settings.topic_prefix)
    with admin_client(settings) as client:
        if name not in set(client.list_topics()):
            created = NewTopic(name, CHANGELOG.partitions, -1, topic_configs=CHANGELOG.configs())
            response = client.create_topics([created], raise_errors=False, wait_for_metadata=True)
            errors = [t for t in response["topics"] if t["error_code"] not in (0, TOPIC_ALREADY_EXISTS)]
            if errors:
                raise UserError(
                    f"could not create topic {name}: {errors[0]['error_message'] or errors[0]['error_code']}"
                )
        described = client.describe_topics([name])
    partitions = len(described[0]["partitions"]) if described else 0
    if partitions != CHANGELOG.partitions:
        raise UserError(
            f"topic {name} has {partitions} partitions, the serial table needs {CHANGELOG.partitions} (one per input "
            "partition); something else created it: delete it and reset the processor group's offsets to rebuild "
            "the table (or check LIFECYCLE_TOPIC_PREFIX)"
        )
