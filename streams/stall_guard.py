"""Re-read partitions that faust-streaming stopped reading or committing.

After a restart or a rebalance, faust-streaming can leave an assigned partition in one of two
stuck states (faust-streaming issues #166, #471, #629): its acknowledged offsets begin above the
committed offset, with a hole that never fills, so the offset is never committed again; or it is
never fetched at all, though messages wait in it. Either way lag only grows. When a partition stays
stuck across checks, the guard seeks it back to its committed offset: the messages from there are
read again, and since every effect of the processor is idempotent, reading them twice is harmless.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)
CHECKS_BEFORE_RESEEK = 3


class StallGuard:
    """Seeks back a partition that made no progress for several checks while it had work or a hole."""

    def __init__(self) -> None:
        self._last: dict[Any, tuple[int | None, int | None]] = {}
        self._strikes: dict[Any, int] = {}
        self.reseeks = 0

    async def check(self, consumer: Any) -> None:
        """One check of every assigned input partition."""
        partitions = [tp for tp in consumer.assignment() if not consumer._is_changelog_tp(tp)]
        if not partitions:
            return
        ends = await consumer.highwaters(*partitions)
        for tp in partitions:
            committed = consumer._committed_offset.get(tp)
            read = consumer._read_offset.get(tp)
            acked = consumer._acked.get(tp) or []
            hole = bool(acked) and committed is not None and min(acked) > committed
            waiting = (ends.get(tp) or 0) > max(read + 1 if read is not None else 0, committed or 0)
            unchanged = self._last.get(tp) == (committed, read)
            self._last[tp] = (committed, read)
            self._strikes[tp] = self._strikes.get(tp, 0) + 1 if (hole or waiting) and unchanged else 0
            if self._strikes[tp] >= CHECKS_BEFORE_RESEEK:
                offset = committed or 0
                log.warning("re-reading %s[%d] from offset %d: it made no progress", tp.topic, tp.partition, offset)
                await consumer.seek(tp, offset)
                self._strikes[tp] = 0
                self.reseeks += 1
