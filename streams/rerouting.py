"""The agent's shell around `streams.placement`: send misplaced input messages on to their murmur2 partition.

A rerouted copy goes to the same topic with the same key, value, timestamp and headers, plus a header naming
its origin; the original then counts as handled and is not applied. Its offset may be committed only once the
copy is on the broker, so, as `streams.changelog` does for table writes, the producer's flush (which faust runs
before every offset commit) first waits for every copy sent so far, and raises when one could not be delivered.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from lifecycle import metrics
from streams.handler import Context, Handled, Inbound, dead_letter
from streams.placement import Headers, Refuse, place, source_label

log = logging.getLogger(__name__)

MAX_SOURCES = 50  # distinct `source` labels per process; any further source is counted as "other"
OTHER_SOURCE = "other"


class Rerouter:
    """Sends misplaced messages of the input topics (name -> partition count) on to the partition they belong to."""

    def __init__(self, partitions: Mapping[str, int]) -> None:
        self._partitions = dict(partitions)
        self._producer: Any = None
        self._flush: Callable[[], Awaitable[None]] | None = None
        self._unsent: set[asyncio.Future[Any]] = set()
        self._failed: list[BaseException] = []
        self._sources: set[str] = set()

    def install(self, producer: Any) -> None:
        """Send through faust's producer, and make its flush (run before every commit) wait for the copies first."""
        self._producer = producer
        if self._flush is not None:
            return
        self._flush = producer.flush
        producer.flush = self.flush

    async def forward(self, message: Inbound, headers: Headers | None, context: Context) -> Handled | None:
        """None when the message belongs where it is; else what was done with it (rerouted, or dead-lettered)."""
        partitions = self._partitions.get(message.topic)
        if partitions is None:
            return None
        placement = place(message.topic, message.partition, message.offset, message.key, headers, partitions)
        if placement is None:
            return None
        if isinstance(placement, Refuse):
            return dead_letter(message, placement.reason, context, "deadletter")
        at = message.timestamp.timestamp() if message.timestamp is not None else None  # the copy keeps its time
        try:
            sent = await self._producer.send(
                message.topic, message.key, message.value, placement.partition, at, list(placement.headers)
            )
        except Exception as exc:
            log.exception("could not reroute %s[%d]@%d", message.topic, message.partition, message.offset)
            return dead_letter(message, f"rerouting failed: {type(exc).__name__}: {exc}", context, "deadletter")
        self._track(asyncio.ensure_future(sent))
        metrics.REROUTED.labels(message.topic, self._label(source_label(message.value))).inc()
        return Handled("rerouted")

    async def flush(self) -> None:
        """Wait until every copy sent so far is on the broker (raise if one failed), then flush the producer."""
        if self._unsent:
            await asyncio.gather(*self._unsent, return_exceptions=True)
        if self._failed:  # kept: no later commit may pass an original whose copy was lost
            raise RuntimeError(f"{len(self._failed)} rerouted messages were not delivered: {self._failed[0]!r}")
        if self._flush is not None:
            await self._flush()

    def _track(self, sent: asyncio.Future[Any]) -> None:
        self._unsent.add(sent)
        sent.add_done_callback(self._settled)

    def _settled(self, sent: asyncio.Future[Any]) -> None:
        self._unsent.discard(sent)
        error = asyncio.CancelledError("send cancelled") if sent.cancelled() else sent.exception()
        if error is not None:
            log.error("a rerouted message was not delivered (%r); no further offset commits", error)
            self._failed.append(error)

    def _label(self, source: str) -> str:
        if source in self._sources or len(self._sources) < MAX_SOURCES:
            self._sources.add(source)
            return source
        return OTHER_SOURCE
