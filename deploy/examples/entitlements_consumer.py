"""Bootstrap a view of every serial's entitlement from the compacted <prefix>.entitlements topic (kafka-python).

    python entitlements_consumer.py --bootstrap 127.0.0.1:9092 --topic lifecycle.entitlements [--follow]

Reads every partition from the beginning, keeps the highest revision per serial (older revisions and repeats are
dropped), prints one line per serial once caught up; with --follow it then prints each newer snapshot as it comes.
"""

import argparse
import json
import sys
from typing import Any

from kafka import KafkaConsumer, TopicPartition

KNOWN_SCHEMA_VERSION = 1  # a snapshot of a newer schema_version may change what fields mean: stop, do not guess


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--topic", default="lifecycle.entitlements")
    parser.add_argument("--follow", action="store_true", help="keep reading after the bootstrap")
    args = parser.parse_args()
    consumer = KafkaConsumer(bootstrap_servers=args.bootstrap, enable_auto_commit=False, allow_auto_create_topics=False)
    partitions = [TopicPartition(args.topic, p) for p in sorted(consumer.partitions_for_topic(args.topic) or ())]
    if not partitions:
        sys.exit(f"topic {args.topic} not found at {args.bootstrap}: check --topic and --bootstrap")
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    end = consumer.end_offsets(partitions)
    view: dict[str, dict[str, Any]] = {}  # serial -> its newest snapshot
    while any(consumer.position(tp) < end[tp] for tp in partitions):  # the bootstrap: up to the end offsets
        for record in (r for batch in consumer.poll(timeout_ms=1000).values() for r in batch):
            keep(view, record)
    for serial in sorted(view):
        print(summary(view[serial]), flush=True)
    while args.follow:  # then each newer snapshot as it comes
        for record in (r for batch in consumer.poll(timeout_ms=1000).values() for r in batch):
            if keep(view, record):
                print(summary(view[record.key.decode()]), flush=True)
    return 0


def keep(view: dict[str, dict[str, Any]], record: Any) -> bool:
    """Put the record's snapshot in the view when it is newer than the serial's; False for a stale one."""
    serial = record.key.decode()
    snapshot = json.loads(record.value) if record.value else None  # None: a tombstone, nothing to keep
    if snapshot is None or snapshot["revision"] <= view.get(serial, {}).get("revision", 0):
        return False  # stale: the view has this revision of the serial or a newer one
    if snapshot.get("schema_version", 1) > KNOWN_SCHEMA_VERSION:  # records written before it carry none: 1
        sys.exit(f"{serial}: schema_version {snapshot['schema_version']} is newer than this reader knows")
    view[serial] = snapshot
    return True


def summary(snapshot: dict[str, Any]) -> str:
    """One line a CRM agent can read: who is covered, by what, until when."""
    support = snapshot["support"]
    fields = ("serial", "revision", "status")
    terms = {"program": support["program"], "expires_on": support["expires_on"], "channels": support["channels"]}
    return json.dumps({**{name: snapshot[name] for name in fields}, **terms})


if __name__ == "__main__":
    sys.exit(main())
