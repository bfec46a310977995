"""The agent's shell around `streams.placement`: send misplaced input messages on to their murmur2 partition.

A rerouted copy goes to the same topic with the same key, value, timestamp and headers, plus a header naming
its origin; the original then counts as handled and is not applied. Its offset may be committed only once the
copy is on the broker, so each copy's delivery is handed to the Checkpoint (`streams.checkpoint`), as the
changelog records and outputs are.
"""

from __future__ import annotations

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

    def __init__(
        self,
        partitions: Mapping[str, int],
        producer: Callable[[], Any],
        track: Callable[[str, Awaitable[Any]], None],
    ) -> None:
        self._partitions = dict(partitions)
        self._producer = producer  # faust's producer, made by the app when first asked for
        self._track = track  # holds commits until the copy is on the broker
        self._sources: set[str] = set()

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
            sent = await self._producer().send(
                message.topic, message.key, message.value, placement.partition, at, list(placement.headers)
            )
        except Exception as exc:
            log.exception("could not reroute %s[%d]@%d", message.topic, message.partition, message.offset)
            return dead_letter(message, f"rerouting failed: {type(exc).__name__}: {exc}", context, "deadletter")
        self._track("rerouted", sent)
        metrics.REROUTED.labels(message.topic, self._label(source_label(message.value))).inc()
        return Handled("rerouted")

    def _label(self, source: str) -> str:
        if source in self._sources or len(self._sources) < MAX_SOURCES:
            self._sources.add(source)
            return source
        return OTHER_SOURCE
