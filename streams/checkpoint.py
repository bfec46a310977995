"""What the processor's group commits, decided in one place.

An input offset is committed only when
  1. every offset before it was handled, in order (`streams.in_order`: none passed over while it exists);
  2. every record the handling produced is on the broker: the serial's changelog record, the outputs
     (entitlements, notices, decisions, grants, holds, dead letters) and rerouted copies. Each is tracked
     from the moment it is handed to the producer, and a commit first waits for all of them.
The agent handles messages in batches and writes each serial's state once, at the batch's end: while a batch
is open (`hold`), a commit goes no further than where the batch began; `release` follows the last writes.
A record the broker refused, or did not acknowledge within SETTLE_SECONDS, means the worker cannot go on
without losing it: it stops (`streams.stopping`) and, restarted, reads again from its last commit.

faust asks for this through `streams.transport.CheckpointConsumer`, the consumer of the `lifecycle://`
transport; faust's own acknowledgements and gap bookkeeping play no part.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from streams.in_order import Broker, PartitionOrder
from streams.stopping import one_line, stop_worker

log = logging.getLogger(__name__)

SETTLE_SECONDS = 120.0  # how long a commit waits for the broker to acknowledge the records before it


class DeliveryFailed(Exception):
    """A record handed to the producer did not reach the broker: no commit may pass it."""


class Checkpoint:
    """The in-order positions and the records not yet acknowledged; the commit position of each partition."""

    def __init__(self, order: PartitionOrder, stop: Callable[[str], object] = stop_worker) -> None:
        self.order = order
        self._stop = stop
        self._pending: set[asyncio.Future[Any]] = set()
        self._failure: str | None = None
        self._held: dict[Any, int | None] | None = None  # while a batch is open: each partition's position before it
        self._held_generation = -1  # the group generation the held positions belong to

    def attach(self, broker: Broker) -> None:
        """Use the group's consumer for positions, seeks and offsets (faust makes it once per app)."""
        self.order.broker = broker

    async def admit(self, tp: Any, offset: int, generation: int) -> bool:
        """True when the message is its partition's next; False means skip it."""
        return await self.order.admit(tp, offset, generation)

    def done(self, tp: Any, offset: int) -> None:
        """The message is handled; everything it produced is tracked, or will be before `release` (in a batch)."""
        held = self._held
        if held is not None and tp not in held:
            held[tp] = self.order.commit_position(tp)
        self.order.done(tp, offset)

    def hold(self) -> None:
        """A batch begins: no commit passes the positions reached so far until `release`."""
        self._held, self._held_generation = {}, self.order.generation

    def release(self) -> None:
        """The batch's records are all tracked: its positions may be committed."""
        self._held = None

    def track(self, what: str, sent: Awaitable[Any]) -> None:
        """Hold commits until `sent` (a record's delivery, `what` names its topic) is acknowledged."""
        future = asyncio.ensure_future(sent)
        self._pending.add(future)
        future.add_done_callback(lambda settled: self._settled(what, settled))

    def commit_position(self, tp: Any) -> int | None:
        """The offset to commit for `tp`, or None (nothing new, or a record was lost)."""
        if self._failure is not None:
            return None
        position = self.order.commit_position(tp)
        held = self._held
        if position is None or held is None:
            return position
        if self.order.generation != self._held_generation:
            return None  # a rebalance within the batch: what it handled since is not all tracked yet
        return held.get(tp, position)

    async def settle(self) -> None:
        """Before a commit: wait until every record tracked so far is on the broker; stop the worker if one is not."""
        pending = list(self._pending)
        if pending:
            _, late = await asyncio.wait(pending, timeout=SETTLE_SECONDS)
            if late and self._failure is None:
                self._failure = f"{len(late)} records not acknowledged by the broker within {SETTLE_SECONDS:.0f} s"
        if self._failure is not None:
            self._stop(self._failure)
            raise DeliveryFailed(self._failure)

    async def check_idle(self) -> None:
        """Read again partitions that stand still while messages wait (a timer calls this)."""
        await self.order.check_idle()

    def _settled(self, what: str, future: asyncio.Future[Any]) -> None:
        self._pending.discard(future)
        error = asyncio.CancelledError("send cancelled") if future.cancelled() else future.exception()
        if error is not None and self._failure is None:
            self._failure = f"a {what} record was not delivered: {one_line(error)}"
            log.error("%s; no further commits", self._failure)
