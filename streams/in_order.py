"""Hand the agent each input partition's messages strictly in offset order, and commit only what it finished.

faust-streaming keeps its own bookkeeping of read and acknowledged offsets, and it can lose messages:
  - around a start or a rebalance it can drop fetched messages without seeking back (a fetch batch cut
    short when the generation changes, or stale-generation messages skipped in the stream);
  - its fetch loop then sees a jump in offsets and records it as a "gap" that counts as processed, and
    its commit check does not look for holes at all while a partition has no committed offset yet
    (faust-streaming issues #166, #471, #629).
A kill -9 or a rebalance after such a commit loses those messages for good. So the processor keeps the
position itself: the next offset it expects per partition. A message past it means earlier ones were
dropped: the partition is sought back and the message skipped (it comes again). A message before it was
already handled in this assignment and is skipped. Commits use this position, never faust's acks, and a
partition that stops receiving messages while it has some waiting is sought back too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lifecycle import metrics

log = logging.getLogger(__name__)

RESEEK_AFTER_SECONDS = 5.0  # a seek that has not brought the expected offset yet is repeated after this
ACCEPT_GAP_AFTER_SEEKS = 3  # offsets still missing after this many seeks do not exist (compaction, markers)
IDLE_CHECKS_BEFORE_RESEEK = 3


class _NothingRead(dict[Any, int | None]):
    """faust's read offsets, answering None: its fetch loop then drops no message and records no gap."""

    def __getitem__(self, key: Any) -> int | None:
        return None


@dataclass
class _Partition:
    expected: int
    seeks: int = 0
    sought_at: float = 0.0
    idle_checks: int = 0
    idle_seeks: int = 0
    last_checked: int = -1


@dataclass
class PartitionOrder:
    """The agent's in-order position per input partition, installed into faust's consumer."""

    consumer: Any
    topics: frozenset[str]
    current_generation: Callable[[], int]
    generation: int = -1
    partitions: dict[Any, _Partition] = field(default_factory=dict)
    accepted_gaps: int = 0
    clock: Any = time.monotonic

    def install(self) -> None:
        """Take over faust's read-offset check and commit position (once, before its fetch loop starts)."""
        if isinstance(self.consumer._read_offset, _NothingRead):
            return
        self.consumer._read_offset = _NothingRead(self.consumer._read_offset)
        self.consumer._new_offset = self.commit_position

    async def admit(self, tp: Any, offset: int, generation: int) -> bool:
        """True when the message is its partition's next; False means skip it (done before, or seeking back)."""
        self._follow(generation)
        state = self.partitions.get(tp)
        if state is None:
            state = self.partitions[tp] = _Partition((await self._starts([tp]))[tp])
        if offset == state.expected:
            return True
        if offset < state.expected:
            return False
        now = self.clock()
        if state.seeks >= ACCEPT_GAP_AFTER_SEEKS and now - state.sought_at >= RESEEK_AFTER_SECONDS:
            missing = f"{tp.topic}[{tp.partition}] offsets {state.expected}..{offset - 1}"
            log.warning("%s never came after %d seeks; going on", missing, state.seeks)
            self.accepted_gaps += 1
            metrics.REREADS.labels("gap").inc()
            state.expected = offset
            return True
        if state.seeks == 0 or now - state.sought_at >= RESEEK_AFTER_SECONDS:
            log.warning("%s[%d]: offset %d came before %d; rereading", tp.topic, tp.partition, offset, state.expected)
            await self._seek(tp, state, "skipped")
        return False

    def done(self, tp: Any, offset: int) -> None:
        """The message at `offset` is handled and its outputs are with the producer."""
        state = self.partitions[tp]
        state.expected, state.seeks = offset + 1, 0

    def commit_position(self, tp: Any) -> int | None:
        """Replaces faust's `Consumer._new_offset`: the offset to commit for `tp`, or None."""
        state = self.partitions.get(tp)
        if state is None or self.generation != self.current_generation():  # nothing handled since the rebalance
            return None
        acked, index = self.consumer._acked[tp], self.consumer._acked_index[tp]
        finished = [offset for offset in acked if offset < state.expected]
        if finished:  # faust's acks are not used, only trimmed
            self.consumer._acked[tp] = [offset for offset in acked if offset >= state.expected]
            index.difference_update(finished)
        return state.expected

    async def check_idle(self) -> None:
        """Seek back a partition whose position stood still for several checks while messages waited."""
        if not self.consumer.flow_active:  # a rebalance is under way; it seeks every partition itself
            return
        self._follow(self.current_generation())
        assigned = [tp for tp in self.consumer.assignment() if tp.topic in self.topics]
        if not assigned:
            return
        ends = await self.consumer.highwaters(*assigned)
        starts = await self._starts([tp for tp in assigned if tp not in self.partitions])
        for tp, start in starts.items():
            self.partitions[tp] = _Partition(start, last_checked=start)
        for tp in assigned:
            state = self.partitions[tp]
            waiting = (ends.get(tp) or 0) > state.expected
            still = state.last_checked == state.expected
            state.idle_checks = state.idle_checks + 1 if waiting and still else 0
            state.idle_seeks = state.idle_seeks if still else 0
            state.last_checked = state.expected
            # Under a backlog a partition can wait its turn for a while: each seek without progress doubles the wait.
            if state.idle_checks >= IDLE_CHECKS_BEFORE_RESEEK * 2**state.idle_seeks:
                log.warning("%s[%d]: no progress from offset %d; reading again", tp.topic, tp.partition, state.expected)
                state.idle_checks = 0
                state.idle_seeks += 1
                await self._seek(tp, state, "idle")

    def _follow(self, generation: int) -> None:
        if generation != self.generation:  # a new assignment: every position comes from the broker again
            self.generation, self.partitions = generation, {}

    async def _starts(self, tps: list[Any]) -> dict[Any, int]:
        """Where each partition's reading starts: its committed offset, or its earliest when it has none."""
        if not tps:
            return {}
        earliest = await self.consumer.earliest_offsets(*tps)
        return {tp: max(self.consumer._committed_offset.get(tp) or 0, earliest.get(tp) or 0) for tp in tps}

    async def _seek(self, tp: Any, state: _Partition, cause: str) -> None:
        metrics.REREADS.labels(cause).inc()
        state.seeks += 1
        state.sought_at = self.clock()
        await self.consumer.seek(tp, state.expected)
