"""`lifecycle redrive`: send dead-lettered inputs back to the topic they came from, once their cause is gone.

Typical causes that go away: a renewal or upgrade that arrived before its purchase (Kafka gives no order
between topics), or notices refused while the SMTP server was misconfigured. Every consumer is idempotent,
so a message that is sent back and was applied meanwhile changes nothing; one that is still wrong is
dead-lettered again with its reason. The same original is sent back once per run, however often it was
dead-lettered.
"""

from __future__ import annotations

import argparse
import base64
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from kafka import KafkaProducer
from kafka.errors import KafkaError

from lifecycle.errors import UserError
from lifecycle.kafka_config import kafka_python_config
from lifecycle.settings import Settings
from lifecycle.topic_log import read_to_end
from lifecycle.topics import DEADLETTER


@dataclass(frozen=True)
class Letter:
    """One dead-letter record: why, where from, and the original key and bytes."""

    reason: str
    origin_topic: str
    component: str
    key: bytes | None
    payload: bytes | None


@dataclass(frozen=True)
class Choice:
    """The letters to send back, and how many were passed over for each cause."""

    chosen: list[Letter]
    skipped: Counter[str]


def parse_letter(key: bytes | None, value: bytes | None) -> Letter | None:
    """A dead-letter record as a Letter; None when it is not one (so it is never sent anywhere)."""
    try:
        document: Any = orjson.loads(value or b"")
        payload = document["payload_base64"]
        return Letter(
            reason=str(document["reason"]),
            origin_topic=str(document["origin"]["topic"]),
            component=str(document["component"]),
            key=key,
            payload=None if payload is None else base64.b64decode(payload, validate=True),
        )
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None


def choose(
    letters: Iterable[Letter | None], prefix: str, *, reason: str = "", origin: str = "", component: str = ""
) -> Choice:
    """The letters that match every filter given (reason text, origin topic, component), each original once."""
    chosen: list[Letter] = []
    seen: set[tuple[str, bytes | None, bytes | None]] = set()
    skipped: Counter[str] = Counter()
    for letter in letters:
        if letter is None:
            skipped["not a dead-letter record"] += 1
        elif not letter.origin_topic.startswith(f"{prefix}."):
            skipped["origin outside this deployment"] += 1
        elif letter.payload is None:
            skipped["empty original"] += 1
        elif not _matches(letter, reason, origin, component):
            skipped["filtered out"] += 1
        elif (letter.origin_topic, letter.key, letter.payload) in seen:
            skipped["sent once already"] += 1
        else:
            seen.add((letter.origin_topic, letter.key, letter.payload))
            chosen.append(letter)
    return Choice(chosen, skipped)


def _matches(letter: Letter, reason: str, origin: str, component: str) -> bool:
    origins = (letter.origin_topic, letter.origin_topic.partition(".")[2])
    return reason in letter.reason and (not origin or origin in origins) and component in ("", letter.component)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reason", default="", help="only letters whose reason contains this text")
    parser.add_argument("--origin", default="", help="only letters from this topic (e.g. renewals)")
    parser.add_argument("--component", default="", help="only letters from this component (processor, store…)")
    parser.add_argument("--dry-run", action="store_true", help="count what would be sent back, send nothing")


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    try:
        return _redrive(settings, args)
    except KafkaError as exc:
        raise UserError(f"Kafka at {','.join(settings.kafka_bootstrap)}: {exc}") from None


def _redrive(settings: Settings, args: argparse.Namespace) -> int:
    records = read_to_end(settings, settings.topic(DEADLETTER.suffix))
    letters = (parse_letter(record.key, record.value) for record in records)
    choice = choose(letters, settings.topic_prefix, reason=args.reason, origin=args.origin, component=args.component)
    by_topic = Counter(letter.origin_topic for letter in choice.chosen)
    verb = "would send back" if args.dry_run else "sending back"
    print(f"{len(records)} dead letters; {verb} {len(choice.chosen)}")
    for topic, count in sorted(by_topic.items()):
        print(f"  {topic}: {count}")
    for cause, count in sorted(choice.skipped.items()):
        print(f"  skipped, {cause}: {count}")
    if args.dry_run or not choice.chosen:
        return 0
    producer = KafkaProducer(acks="all", linger_ms=20, **kafka_python_config(settings))
    try:
        futures = [producer.send(letter.origin_topic, key=letter.key, value=letter.payload) for letter in choice.chosen]
        producer.flush(timeout=60)
        for future in futures:
            future.get(timeout=0)  # raises the error of a send that failed
    finally:
        producer.close()
    print(f"sent back {len(choice.chosen)}")
    return 0
