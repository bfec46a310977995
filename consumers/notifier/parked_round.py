"""The parked rounds: every few seconds, the parked notices whose retry time came go through the notice handler.

Each is claimed in the ledger (`take_due`, one at a time, so none is held unhandled) and handled as its Kafka record
would be: staleness, the daily cap, the claim and the send are decided the same way. A temporary failure (the ledger,
the SMTP server or the dead-letter topic away) ends the round; the notices stay parked for the next.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from kafka.errors import KafkaError

from consumers.notifier.handler import COMPONENT, NoticeHandler, Outcome, RetryLaterError
from consumers.notifier.ledger_port import Ledger, LedgerUnavailableError
from lifecycle import metrics

EVERY = 5.0  # seconds between two rounds at least
PER_ROUND = 20  # parked notices a round takes at most: the Kafka records wait while it runs
# Seconds a round starts no new notice after: a server answering slowly and deferring all keeps it from keeping the
# consumer from polling past max.poll.interval.ms (the group would evict it), with the batch that follows it.
ROUND_SECONDS = 30.0
log = logging.getLogger(__name__)


class ParkedRounds:
    """Hands the due parked notices to the handler, a bounded number per round, at most every `every` seconds."""

    def __init__(
        self,
        handler: NoticeHandler,
        ledger: Ledger,
        count: Callable[[Outcome], None],
        *,
        every: float = EVERY,
        per_round: int = PER_ROUND,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.handler = handler
        self.ledger = ledger
        self.count = count
        self.every = every
        self.per_round = per_round
        self.monotonic = monotonic
        self._next = 0.0

    def maybe_run(self) -> int:
        """Run a round when `every` seconds passed since the last; how many notices it handled."""
        if self.monotonic() < self._next:
            return 0
        self._next = self.monotonic() + self.every
        return self.run_round()

    def run_round(self) -> int:
        """Handle up to `per_round` due parked notices, until none is due or a temporary failure; how many."""
        taken_here: set[tuple[str, int, int]] = set()
        ends = self.monotonic() + ROUND_SECONDS
        for handled in range(self.per_round):
            if self.monotonic() >= ends:
                return handled
            metrics.beat(COMPONENT)  # per notice: a round of slow SMTP replies is progress, not a stuck loop
            try:
                due = self.ledger.take_due(self.handler.now(), 1)
                if not due:
                    return handled
                (record,) = due
                position = (record.topic, record.partition, record.offset)
                if position in taken_here:  # its outcome could not be recorded: left to the next round
                    log.warning(
                        "parked notice of %s/%d/%d handled but still parked (its outcome not recorded); rounds "
                        "start with it until that is mended",
                        *position,
                    )
                    return handled
                taken_here.add(position)
                with metrics.PROCESSING_SECONDS.labels(COMPONENT).time():
                    outcome = self.handler.handle(record)
            except (LedgerUnavailableError, RetryLaterError, KafkaError) as exc:
                log.warning("parked notices left for the next round: %s", exc)
                return handled
            self.count(outcome)
        return self.per_round
