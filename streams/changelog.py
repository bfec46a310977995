"""Table writes whose changelog records are on the broker before any offset commit.

`table[key] = value` queues the changelog record in faust-streaming's producer buffer, and the flush
faust runs before committing offsets can return while records are still queued (it gives up after
0.1 s without progress). A kill -9 or a handover right after such a commit leaves the changelog
behind the committed offsets, and the next owner of the partition restores stale state. Here every
write keeps the future of its changelog record, and the producer's flush first waits for all of them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any


class ChangelogWrites:
    """Writes to one faust table, each changelog record tracked until the broker has it."""

    def __init__(self, table: Any) -> None:
        self._table = table
        self._unsent: set[asyncio.Future[Any]] = set()
        self._flush: Callable[[], Awaitable[None]] | None = None

    def install(self, producer: Any) -> None:
        """Make the producer's flush (run before every offset commit) wait for the tracked records first."""
        if self._flush is not None:
            return
        self._flush = producer.flush
        producer.flush = self.flush

    def write(self, key: bytes, value: bytes, partition: int) -> None:
        """Set the key in the local store and queue its changelog record (on the source's partition)."""
        self._table.data[key] = value
        sent = self._table.send_changelog(partition, key, value)
        self._unsent.add(sent)
        sent.add_done_callback(self._unsent.discard)

    async def flush(self) -> None:
        """Wait until every changelog record written so far is on the broker, then flush the producer."""
        if self._unsent:
            await asyncio.gather(*self._unsent)
        if self._flush is not None:
            await self._flush()
