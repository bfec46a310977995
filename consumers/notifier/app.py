"""Wire the notifier from settings: the notices consumer, the dead-letter producer, the ledger and a transport.

Between polls (at most every `parked_every` seconds) it also runs a parked round: the notices the SMTP server
deferred, parked in the ledger, whose retry time came (consumers/notifier/parked_round.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path

from kafka import KafkaConsumer, KafkaProducer
from kafka.errors import KafkaError

from consumers.database import process_dsn
from consumers.deadletters import KafkaDeadLetters
from consumers.kafka_loop import Backoff, run_batches
from consumers.notifier.delivery import Transport, transport_for
from consumers.notifier.handler import COMPONENT, NoticeHandler, Outcome, RetryLaterError, utc_now
from consumers.notifier.ledger import PostgresLedger
from consumers.notifier.parked_round import EVERY, ParkedRounds
from consumers.notifier.parking import FIRST_DELAY
from consumers.notifier.render import TEMPLATES_DIR, NoticeRenderer
from consumers.record import Record
from lifecycle import metrics
from lifecycle.groups import NOTIFIER
from lifecycle.kafka_config import kafka_python_config
from lifecycle.settings import Settings
from lifecycle.topics import DEADLETTER

log = logging.getLogger(__name__)

# Records handled per poll: small, since each may wait on the SMTP server (keep well under max.poll.interval.ms).
MAX_BATCH = 50

METRIC_OUTCOMES = {
    Outcome.SENT: "applied",
    Outcome.SKIPPED: "stale",
    Outcome.CAPPED: "capped",
    Outcome.DUPLICATE: "duplicate",
    Outcome.DEAD_LETTERED: "deadletter",
    Outcome.DEFERRED: "deferred",
}


class Notifier:
    """The notifier process: consume notices, deliver each once, dead-letter what cannot be delivered."""

    def __init__(
        self,
        settings: Settings,
        transport: Transport | None = None,
        templates_dir: Path = TEMPLATES_DIR,
        backoff: Backoff | None = None,
        now: Callable[[], datetime] = utc_now,
        *,
        defer_first_delay: timedelta = FIRST_DELAY,
        parked_every: float = EVERY,
    ) -> None:
        client = kafka_python_config(settings)
        self.transport = transport or transport_for(settings, on_wait=lambda: metrics.beat(COMPONENT))
        self.ledger = PostgresLedger(process_dsn(settings, COMPONENT))
        group = NOTIFIER.name(settings.topic_prefix)
        self.producer = KafkaProducer(acks="all", client_id=group, **client)
        self.consumer = KafkaConsumer(
            *(spec.name(settings.topic_prefix) for spec in NOTIFIER.reads),
            group_id=group,
            client_id=group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=MAX_BATCH,
            **client,
        )
        dead_letters = KafkaDeadLetters(
            self.producer, settings.topic(DEADLETTER.suffix), COMPONENT, settings.deadletter_preview_bytes
        )
        self.handler = NoticeHandler(
            NoticeRenderer(templates_dir),
            self.transport,
            self.ledger,
            dead_letters,
            settings.mail_from,
            max_age_days=settings.notice_max_age_days,
            daily_cap=settings.notice_daily_cap_per_recipient,
            defer_attempts=settings.notice_defer_attempts,
            defer_minutes=settings.notice_defer_minutes,
            defer_first_delay=defer_first_delay,
            now=now,
        )
        self.parked = ParkedRounds(self.handler, self.ledger, self.count, every=parked_every)
        self.backoff = backoff or Backoff()
        self.stop = threading.Event()
        self._handled: set[tuple[str, int, int]] = set()

    def handle_batch(self, records: Sequence[Record]) -> None:
        """Handle the records in order; RetryLaterError leaves the whole batch to be retried (sent ones are skipped)."""
        for record in records:
            metrics.beat(COMPONENT)  # per notice: a batch of slow SMTP replies is progress, not a stuck loop
            position = (record.topic, record.partition, record.offset)
            if position in self._handled:
                continue  # handled before a temporary failure stopped this batch
            with metrics.PROCESSING_SECONDS.labels(COMPONENT).time():
                try:
                    outcome = self.handler.handle(record)
                except KafkaError as exc:  # only the dead-letter publisher talks to the broker here
                    raise RetryLaterError(f"dead-letter topic unavailable: {exc}") from exc
            self.count(outcome)
            self._handled.add(position)
        self._handled.clear()

    def count(self, outcome: Outcome) -> None:
        """Count one handled notice by its outcome."""
        metrics.EVENTS.labels(COMPONENT, METRIC_OUTCOMES[outcome]).inc()

    def on_poll(self) -> None:
        """After each poll: beat liveness, and take the due parked notices when a round is due."""
        metrics.beat(COMPONENT)
        self.parked.maybe_run()

    def run(self) -> None:
        """Consume until `stop` is set, then release every connection."""
        log.info("notifier delivering via %s", self.transport.name)
        try:
            run_batches(
                self.consumer,
                self.handle_batch,
                stop=self.stop,
                transient=(RetryLaterError,),
                backoff=self.backoff,
                max_records=MAX_BATCH,
                on_poll=self.on_poll,
            )
        finally:
            self.close()

    def close(self) -> None:
        """Close the consumer (without committing), the producer, the ledger and the transport."""
        self.consumer.close(autocommit=False)
        self.producer.close(timeout=10)
        self.ledger.close()
        self.transport.close()
