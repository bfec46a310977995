"""`lifecycle emit FILE|-`: publish JSON-lines events, each validated against the contract, to their topics."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from kafka import KafkaProducer
from kafka.errors import KafkaError

import schemas
from lifecycle.admin import require_topics
from lifecycle.errors import UserError
from lifecycle.groups import kafka_name
from lifecycle.input_files import open_input_bytes
from lifecycle.kafka_config import kafka_python_config
from lifecycle.kafka_diagnosis import explain_bootstrap_failure
from lifecycle.settings import Settings
from lifecycle.topics import TOPIC_BY_EVENT_TYPE

BOOTSTRAP_TIMEOUT_MS = 10_000
LINGER_MS = 20


@dataclass(frozen=True)
class Outgoing:
    """A valid event, ready to publish: its topic suffix, key and encoded value."""

    line: int
    suffix: str
    key: bytes
    value: bytes


@dataclass(frozen=True)
class Refused:
    """A line that is not a valid event, with the reason."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


def event_key(event: dict[str, Any]) -> str:
    """The partition key of an event: `family/version` for releases, the serial for everything else.

    The releases topic is compacted: keyed by family alone it would keep only each family's newest
    release, while the support lifecycle needs the version before it too.
    """
    if event["type"] == "release":
        product = event["product"]
        return f"{product['family']}/{product['version']}"
    serial: str = event["serial"]
    return serial


def prepare_line(number: int, raw: bytes | str) -> Outgoing | Refused | None:
    """Validate one input line: an event to publish, a refusal, or None for a blank line."""
    try:
        text = raw.decode() if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:  # one bad line, refused like any other: the rest of the file still goes out
        return Refused(number, f"not UTF-8 text ({exc.reason} at byte {exc.start + 1})")
    if not text.strip():
        return None
    try:
        event = schemas.decode_event(text)
        value = schemas.encode(event)
    except schemas.InvalidMessage as exc:  # a line nested deeper than orjson writes too: decoding refuses it
        return Refused(number, str(exc))
    spec = TOPIC_BY_EVENT_TYPE[event["type"]]
    return Outgoing(number, spec.suffix, event_key(event).encode(), value)


def prepare_lines(lines: Iterable[bytes | str]) -> Iterator[Outgoing | Refused]:
    """Validate every line of a JSON-lines stream, numbering lines from 1 and skipping blank ones."""
    for number, text in enumerate(lines, start=1):
        prepared = prepare_line(number, text)
        if prepared is not None:
            yield prepared


def _producer(settings: Settings) -> KafkaProducer:
    try:
        return KafkaProducer(
            acks="all",
            enable_idempotence=True,
            linger_ms=LINGER_MS,
            allow_auto_create_topics=False,
            bootstrap_timeout_ms=BOOTSTRAP_TIMEOUT_MS,
            client_id=kafka_name(settings.topic_prefix, "emit"),
            **kafka_python_config(settings),
        )
    except KafkaError as exc:
        raise UserError(explain_bootstrap_failure(settings, exc)) from None


@dataclass
class Tally:
    """What an emit run did: events sent per topic, lines refused, sends that failed."""

    sent: Counter[str]
    refused: int = 0
    failed: int = 0
    stopped: str = ""  # why the input ended early (a read that failed), after what was sent

    def summary(self) -> str:
        per_topic = ", ".join(f"{suffix} {count}" for suffix, count in sorted(self.sent.items()))
        text = f"sent {sum(self.sent.values())} events ({per_topic or 'none'}), refused {self.refused} lines"
        return text + (f", {self.failed} sends failed" if self.failed else "")

    def record_sent(self, item: Outgoing, _metadata: object) -> None:
        """Delivery callback of one event (runs on the producer's I/O thread)."""
        self.sent[item.suffix] += 1

    def record_failed(self, item: Outgoing, errors: IO[str], exc: BaseException) -> None:
        """Failure callback of one event (runs on the producer's I/O thread)."""
        self.failed += 1
        print(f"line {item.line}: not sent: {exc}", file=errors)


def publish(settings: Settings, lines: Iterable[bytes | str], errors: IO[str]) -> Tally:
    """Send every valid line to its topic, report refused lines to `errors`, flush, and count what happened."""
    require_topics(settings, TOPIC_BY_EVENT_TYPE.values())
    producer = _producer(settings)
    tally = Tally(Counter())
    try:
        try:
            _send_all(settings, producer, prepare_lines(lines), tally, errors)
        except UserError as exc:  # the input failed part way: what was sent is still flushed and counted
            tally.stopped = str(exc)
        producer.flush()
    finally:
        producer.close()
    return tally


def _send_all(
    settings: Settings, producer: KafkaProducer, items: Iterable[Outgoing | Refused], tally: Tally, errors: IO[str]
) -> None:
    for item in items:
        if isinstance(item, Refused):
            tally.refused += 1
            print(item, file=errors)
            continue
        try:
            future = producer.send(settings.topic(item.suffix), key=item.key, value=item.value)
        except KafkaError as exc:
            tally.record_failed(item, errors, exc)
            continue
        future.add_callback(tally.record_sent, item)
        future.add_errback(tally.record_failed, item, errors)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `lifecycle emit`."""
    parser.add_argument("file", metavar="FILE", help="JSON-lines file of events, or - for standard input")


def run(args: argparse.Namespace) -> int:
    """Publish the file's events; exit 1 when any line was refused or not sent, 2 when the input failed part way."""
    settings = Settings.from_env()
    with open_input_bytes(args.file) as lines:
        tally = publish(settings, lines, sys.stderr)
    print(tally.summary())
    if tally.stopped:
        raise UserError(tally.stopped)
    return 1 if tally.refused or tally.failed else 0
