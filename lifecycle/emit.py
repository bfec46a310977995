"""`lifecycle emit FILE|-`: publish JSON-lines events, each validated against the contract, to their topics."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from kafka import KafkaProducer
from kafka.errors import KafkaError

import schemas
from lifecycle.admin import require_topics
from lifecycle.emit_tally import Tally
from lifecycle.errors import UserError
from lifecycle.groups import kafka_name
from lifecycle.input_files import LongLine, open_input_bytes
from lifecycle.interrupts import Interrupted, Interrupts, interrupts
from lifecycle.kafka_config import kafka_python_config
from lifecycle.kafka_diagnosis import explain_bootstrap_failure
from lifecycle.output import print_summary
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


def prepare_lines(lines: Iterable[bytes | str | LongLine]) -> Iterator[Outgoing | Refused]:
    """Validate every line of a JSON-lines stream, numbering lines from 1 and skipping blank ones."""
    for number, text in enumerate(lines, start=1):
        prepared = Refused(number, str(text)) if isinstance(text, LongLine) else prepare_line(number, text)
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


def publish(
    settings: Settings, lines: Iterable[bytes | str | LongLine], errors: IO[str], held: Interrupts | None = None
) -> Tally:
    """Send every valid line to its topic, report refused lines to `errors`, flush, and count what happened."""
    # A stop signal (`held` raises it between lines) ends the reading: what was handed over is still flushed and
    # counted; a second one, during the flush, leaves what is in flight unconfirmed.
    require_topics(settings, TOPIC_BY_EVENT_TYPE.values())
    producer = _producer(settings)
    tally = Tally(Counter())
    held = held or Interrupts()
    flushed = False
    try:
        try:
            _send_all(settings, producer, prepare_lines(lines), tally, errors, held)
        except UserError as exc:  # the input failed part way: what was sent is still flushed and counted
            tally.stopped = str(exc)
        except Interrupted as exc:
            tally.interrupted = exc.signum
        flushed = _flush(producer, tally, held)
    finally:
        if flushed:
            producer.close()
        else:  # a signal cut the flush: what is in flight is given up, the summary counts it as not confirmed
            with contextlib.suppress(KafkaError):
                producer.close(timeout=0)
    return tally


def _flush(producer: KafkaProducer, tally: Tally, held: Interrupts) -> bool:
    """Wait for what was handed over; a first stop signal lets it finish, the next cuts it (then False)."""
    done = False
    try:
        with contextlib.nullcontext() if tally.interrupted else held.whole():
            producer.flush()
            done = True
    except Interrupted as exc:
        tally.interrupted = exc.signum
    return done


def _send_all(
    settings: Settings,
    producer: KafkaProducer,
    items: Iterable[Outgoing | Refused],
    tally: Tally,
    errors: IO[str],
    held: Interrupts,
) -> None:
    for item in items:
        with held.whole():  # a line is gone through whole, so the tally says exactly where to resume
            tally.cut_line = item.line
            if isinstance(item, Refused):
                tally.refused += 1
                print(item, file=errors)
            else:
                _send(settings, producer, item, tally, errors)
            tally.last_line, tally.cut_line = item.line, 0
    tally.read_all = True


def _send(settings: Settings, producer: KafkaProducer, item: Outgoing, tally: Tally, errors: IO[str]) -> None:
    try:
        future = producer.send(settings.topic(item.suffix), key=item.key, value=item.value)
    except KafkaError as exc:
        tally.record_failed(item, errors, exc)
        return
    tally.handed += 1
    future.add_callback(tally.record_sent, item)
    future.add_errback(tally.record_lost, item, errors)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `lifecycle emit`."""
    parser.add_argument("file", metavar="FILE", help="JSON-lines file of events, or - for standard input")


def run(args: argparse.Namespace) -> int:
    """Publish the file's events; exit 1: a line refused or not sent, 2: the input failed, 128 + N: signal N."""
    settings = Settings.from_env()
    with open_input_bytes(args.file) as lines, interrupts() as held:
        tally = publish(settings, lines, sys.stderr, held)
    print_summary(tally.summary())
    if tally.interrupted:
        raise Interrupted(tally.interrupted, tally.resume())
    if tally.stopped:
        raise UserError(tally.stopped)
    return 1 if tally.refused or tally.failed else 0
