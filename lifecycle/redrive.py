"""`lifecycle redrive`: send dead-lettered inputs back to the topic they came from, once their cause is gone.

Typical causes that go away: a renewal or upgrade that arrived before its purchase (Kafka gives no order
between topics), or notices refused while the SMTP server was misconfigured. Every consumer is idempotent,
so a message that is sent back and was applied meanwhile changes nothing; one that is still wrong is
dead-lettered again with its reason. The same original is sent back once per run, however often it was
dead-lettered, and a letter the audit names as redriven, or one holding the same original (same origin position
and SHA-256: written twice for one input), is passed over unless `--again` is given; a copy sent back that
fails again names its new position as origin (or, refused after its offset was committed, no position, so
only its own letter counts), so it can be sent back in turn. A letter
from a latest-state topic (compacted, the newest record per key stands: entitlements, holds, releases) is
never sent back: a copy of an older record would replace a newer one. A letter whose original was larger
than LIFECYCLE_DEADLETTER_PREVIEW_BYTES holds only a preview (one written when publishing failed, none): it
is never sent back (a cut original would be refused again, or worse, applied), only listed, one line each,
by origin topic, size and SHA-256.
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kafka import KafkaProducer
from kafka.errors import KafkaError
from kafka.producer.future import RecordMetadata

from lifecycle import redrive_audit
from lifecycle.admin import require_topics
from lifecycle.errors import UserError
from lifecycle.groups import kafka_name
from lifecycle.kafka_config import kafka_python_config
from lifecycle.redrive_audit import OriginalId
from lifecycle.redrive_letters import Letter, parse_letter
from lifecycle.redrive_report import absent_topics, print_plan
from lifecycle.redriven import NOTHING, Redriven
from lifecycle.redriven import redriven as read_redriven
from lifecycle.settings import Settings
from lifecycle.topic_log import records_to_end
from lifecycle.topics import ALL_TOPICS, DEADLETTER

LISTED_ONCE = "original not kept whole, listed once already"
REDRIVEN_BEFORE = "redriven before (--again sends it again)"
LATEST_STATE = "from a latest-state topic, never sent back (a copy could replace a newer record)"
# Compacted topics hold the newest document per key; their readers take the last record as the truth.
LATEST_STATE_SUFFIXES = frozenset(spec.suffix for spec in ALL_TOPICS if spec.cleanup_policy == "compact")
FLUSH_SECONDS = 60


@dataclass(frozen=True)
class Choice:
    """The letters to send back, those that do not hold their original whole, and how many were passed over."""

    chosen: list[Letter]
    skipped: Counter[str]
    not_kept: list[Letter] = field(default_factory=list)

    @property
    def total(self) -> int:
        """How many records were looked at: each is chosen, not kept whole or skipped."""
        return len(self.chosen) + len(self.not_kept) + sum(self.skipped.values())


def choose(
    letters: Iterable[Letter | None],
    prefix: str,
    *,
    reason: str = "",
    origin: str = "",
    component: str = "",
    redriven: Redriven = NOTHING,
) -> Choice:
    """The letters that match every filter given (reason text, origin topic, component), each original once,
    none from a latest-state topic, none `redriven` names or holding an original it names; those that do not
    hold their original whole are listed apart, never sent."""
    choice = Choice([], Counter())
    seen: set[tuple[str, bytes | None, bytes | str | None]] = set()
    # A letter passed over as redriven passes over later letters of its original (audit lines that name only a
    # position name no original).
    passed_over: set[OriginalId] = set()
    for letter in letters:
        if letter is None:
            choice.skipped["not a dead-letter record"] += 1
        elif not letter.origin_topic.startswith(f"{prefix}."):
            choice.skipped["origin outside this deployment"] += 1
        elif letter.payload is None and letter.kept_whole:
            choice.skipped["empty original"] += 1
        elif not _matches(letter, reason, origin, component):
            choice.skipped["filtered out"] += 1
        elif letter.origin_topic.removeprefix(f"{prefix}.") in LATEST_STATE_SUFFIXES:
            choice.skipped[LATEST_STATE] += 1
        elif (
            redriven.names_letter(letter.partition, letter.offset, letter.failed_at, letter.original[:3])
            or redriven.sent_back_after(letter.original, letter.failed_at)
            or letter.original in passed_over
        ):
            if letter.origin_partition >= 0 and letter.origin_offset >= 0:
                passed_over.add(letter.original)
            choice.skipped[REDRIVEN_BEFORE] += 1
        elif (letter.origin_topic, letter.key, letter.payload or letter.sha256) in seen:
            choice.skipped["sent once already" if letter.kept_whole else LISTED_ONCE] += 1
        else:
            seen.add((letter.origin_topic, letter.key, letter.payload or letter.sha256))
            (choice.chosen if letter.kept_whole else choice.not_kept).append(letter)
    return choice


def _matches(letter: Letter, reason: str, origin: str, component: str) -> bool:
    origins = (letter.origin_topic, letter.origin_topic.partition(".")[2])
    return reason in letter.reason and (not origin or origin in origins) and component in ("", letter.component)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reason", default="", help="only letters whose reason contains this text")
    parser.add_argument("--origin", default="", help="only letters from this topic (e.g. renewals)")
    parser.add_argument("--component", default="", help="only letters from this component (processor, store…)")
    parser.add_argument("--dry-run", action="store_true", help="count what would be sent back, send nothing")
    parser.add_argument("--again", action="store_true", help="also send letters the audit names as redriven")


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    require_topics(settings, (DEADLETTER,))
    try:
        return _redrive(settings, args)
    except KafkaError as exc:
        raise UserError(f"Kafka at {','.join(settings.kafka_bootstrap)}: {exc}") from None


def _redrive(settings: Settings, args: argparse.Namespace) -> int:
    topic = settings.topic(DEADLETTER.suffix)
    redriven = NOTHING if args.again else read_redriven(redrive_audit.read(settings), topic)
    records = records_to_end(settings, topic)
    letters = (parse_letter(record.key, record.value, record.partition, record.offset) for record in records)
    choice = choose(
        letters,
        settings.topic_prefix,
        reason=args.reason,
        origin=args.origin,
        component=args.component,
        redriven=redriven,
    )
    absent = absent_topics(settings, {letter.origin_topic for letter in choice.chosen})
    going = [letter for letter in choice.chosen if letter.origin_topic not in absent]
    left_out = Counter(letter.origin_topic for letter in choice.chosen if letter.origin_topic in absent)
    verb = "would send back" if args.dry_run else "sending back"
    again = " (--again: letters redriven before included)" if args.again else ""
    print_plan(choice.total, going, left_out, choice.skipped, choice.not_kept, f"{verb} {len(going)}{again}")
    if not args.dry_run and going:
        send_back(settings, going, "cli")
        print(f"sent back {len(going)}; audit lines in {redrive_audit.audit_path(settings)}")
    return 1 if left_out else 0  # letters of a topic gone are not sent back: the run did not do all it was asked


def send_back(settings: Settings, letters: list[Letter], actor: str) -> list[dict[str, Any]]:
    """Send each letter's original to the topic it came from, marked with the letter it left; audit each send as
    it is acknowledged, so a failure part way still audits every original that went out (then UserError)."""
    audit = redrive_audit.AuditFile(settings)  # opened first: an unwritable audit file sends nothing
    entries: list[dict[str, Any]] = []
    failures: list[BaseException] = []
    deadletter_topic = settings.topic(DEADLETTER.suffix)

    def acknowledged(letter: Letter, meta: RecordMetadata) -> None:
        where = (meta.topic, meta.partition, meta.offset)
        sent_from = (deadletter_topic, letter.partition, letter.offset, letter.failed_at)
        item = redrive_audit.entry(actor, datetime.now(UTC), sent_from, letter.reason, letter.original, where)
        entries.append(item)
        audit.write(item)

    try:
        client_id = kafka_name(settings.topic_prefix, "redrive")
        producer = KafkaProducer(
            acks="all",
            linger_ms=20,
            allow_auto_create_topics=False,  # a topic gone since the check is not made anew with the broker's defaults
            client_id=client_id,
            **kafka_python_config(settings),
        )
        try:
            for letter in letters:
                marker = redrive_audit.header_value(deadletter_topic, letter.partition, letter.offset)
                future = producer.send(
                    letter.origin_topic, key=letter.key, value=letter.payload, headers=[(redrive_audit.HEADER, marker)]
                )
                future.add_callback(acknowledged, letter).add_errback(failures.append)
            producer.flush(timeout=FLUSH_SECONDS)
        except KafkaError as exc:
            failures.append(exc)  # nothing more is sent; what is queued still goes out, audited when acknowledged
        finally:
            producer.close()  # waits for what is in flight (each record's delivery timeout bounds it)
    finally:
        audit.close()
    if len(entries) < len(letters):  # a flush that timed out but whose records all went out is no failure
        failure = failures[0] if failures else "a send was not acknowledged"
        raise UserError(
            f"sent back {len(entries)} of {len(letters)} (audit lines in {audit.path}), then Kafka at "
            f"{','.join(settings.kafka_bootstrap)} failed: {failure}; run the redrive again once Kafka "
            "answers (letters redriven are passed over)"
        )
    return entries
