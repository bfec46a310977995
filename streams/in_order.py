"""The agent's position per input partition: every offset handled in order, none passed over while it exists.

faust-streaming can drop fetched messages around a start or a rebalance (a fetch batch cut short when the
generation changes, stale-generation messages skipped in the stream) and then count the missing offsets as
processed (faust-streaming issues #166, #471, #629). So the processor keeps the position itself: the next
offset it expects per partition. A message before it was handled already and is skipped. A message past it
means earlier ones did not come: the broker is asked whether they exist (`streams.gaps`). Offsets it shows
absent (below the log start, transaction markers, compacted away) are passed over; offsets that exist are
read again, as long as it takes, and a partition that does not get them after a few seeks is reported stuck
(its health check and `lifecycle_rereads_total{cause="stuck"}` say so). A partition whose position stands
still while messages wait is read again too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from lifecycle import metrics
from streams.gaps import Probe

log = logging.getLogger(__name__)

RESEEK_AFTER_SECONDS = 5.0  # a seek that has not brought the expected offset yet is repeated after this
STUCK_AFTER_SEEKS = 3  # offsets that exist and still did not come after this many seeks: reported stuck
IDLE_CHECKS_BEFORE_RESEEK = 3


class Broker(Protocol):
    """What the position needs of the group's consumer."""

    @property
    def flow_active(self) -> bool: ...

    def assignment(self) -> set[Any]: ...

    def committed(self, tp: Any) -> int | None: ...

    async def seek(self, partition: Any, offset: int) -> None: ...

    async def earliest_offsets(self, *partitions: Any) -> Mapping[Any, int]: ...

    async def highwaters(self, *partitions: Any) -> Mapping[Any, int]: ...


@dataclass
class _Partition:
    expected: int
    seeks: int = 0
    sought_at: float = 0.0
    idle_checks: int = 0
    idle_seeks: int = 0
    last_checked: int = -1
    probed: int = -1  # the position the idle check last asked the broker about


def _name(tp: Any) -> str:
    return f"{tp.topic}[{tp.partition}]"


@dataclass
class PartitionOrder:
    """The next offset the agent expects per input partition, in the current generation."""

    probe: Probe
    topics: frozenset[str]
    current_generation: Callable[[], int]
    report: Callable[[str | None], None]  # the first stuck partition's reason, or None when none is stuck
    broker: Broker | None = None  # the group's consumer, once faust has made it
    generation: int = -1
    partitions: dict[Any, _Partition] = field(default_factory=dict)
    stuck: dict[Any, str] = field(default_factory=dict)
    clock: Callable[[], float] = time.monotonic

    async def admit(self, tp: Any, offset: int, generation: int) -> bool:
        """True when the message is its partition's next; False means skip it (done before, or reading again)."""
        self._follow(generation)
        state = self.partitions.get(tp) or await self._learn(tp)
        if offset < state.expected:
            return False
        if offset > state.expected:
            if state.seeks and self.clock() - state.sought_at < RESEEK_AFTER_SECONDS:
                return False
            present = await self._pass_what_is_absent(tp, state, offset)
            if offset > state.expected:
                known = "exist" if present is not None else "may exist (the broker did not answer)"
                await self._reread(tp, state, "skipped", f"offsets {state.expected}..{offset - 1} {known}")
                return False
        self._moving(tp)
        return True

    def done(self, tp: Any, offset: int) -> None:
        """The message at `offset` is handled and its outputs are with the producer."""
        state = self.partitions.get(tp)
        if state is None:  # the partition went in a rebalance while its message was handled: its new owner rereads
            return
        state.expected, state.seeks = offset + 1, 0
        self._moving(tp)

    def commit_position(self, tp: Any) -> int | None:
        """The offset the group may commit for `tp` (all before it handled), or None."""
        state = self.partitions.get(tp)
        if state is None or self.generation != self.current_generation():  # nothing handled since the rebalance
            return None
        return state.expected

    async def check_idle(self) -> None:
        """Read again a partition whose position stood still for several checks while messages waited."""
        broker = self.broker
        if broker is None or not broker.flow_active:  # a rebalance is under way; it seeks every partition itself
            return
        self._follow(self.current_generation())
        assigned = [tp for tp in broker.assignment() if tp.topic in self.topics]
        if not assigned:
            return
        ends = await broker.highwaters(*assigned)
        generation = self.generation
        await self._learn(*assigned)
        for tp in assigned:
            state = self.partitions.get(tp)
            if state is None or self.generation != generation:  # a new generation came while the broker answered
                return
            end = ends.get(tp) or 0
            still = state.last_checked == state.expected
            state.idle_checks = state.idle_checks + 1 if end > state.expected and still else 0
            state.idle_seeks = state.idle_seeks if still else 0
            state.last_checked = state.expected
            if still and end > state.expected and state.probed != state.expected:
                # Once per position that stood still: transaction markers after the last records are never
                # delivered, so the position waits on them until the broker shows them absent.
                state.probed = state.expected
                await self._pass_what_is_absent(tp, state, end)
                if state.expected != state.probed:
                    continue  # passed over them: the next check sees it moved
            # Under a backlog a partition can wait its turn for a while: each seek without progress doubles the wait.
            if state.idle_checks >= IDLE_CHECKS_BEFORE_RESEEK * 2**state.idle_seeks:
                state.idle_checks = 0
                await self._pass_what_is_absent(tp, state, end)
                if state.expected < end:
                    state.idle_seeks += 1
                    await self._reread(tp, state, "idle", f"no progress at offset {state.expected}, {end} reached")

    async def _pass_what_is_absent(self, tp: Any, state: _Partition, limit: int) -> int | None:
        """Ask the broker from the position, and pass over what it shows absent (up to `limit`); its answer."""
        present = await self.probe.first_present(tp, state.expected)
        if present is not None and present > state.expected:
            self._pass_absent(tp, state, min(present, limit))
        return present  # None: the broker did not answer

    def _pass_absent(self, tp: Any, state: _Partition, offset: int) -> None:
        log.info("%s offsets %d..%d are not on the broker; going on", _name(tp), state.expected, offset - 1)
        metrics.REREADS.labels("absent").inc()
        state.expected, state.seeks = offset, 0

    async def _reread(self, tp: Any, state: _Partition, cause: str, why: str) -> None:
        metrics.REREADS.labels(cause).inc()
        state.seeks += 1
        state.sought_at = self.clock()
        if state.seeks > STUCK_AFTER_SEEKS:
            metrics.REREADS.labels("stuck").inc()
            self.stuck[tp] = f"{_name(tp)}: {why} but did not come after {state.seeks - 1} seeks; reading again"
            self._report()
        else:
            log.warning("%s: %s; reading again from %d", _name(tp), why, state.expected)
        if self.broker is not None:
            try:
                await self.broker.seek(tp, state.expected)
            except Exception as exc:  # revoked meanwhile, or the consumer stopping: the next check seeks again
                log.warning("%s: seeking to %d failed (%s); trying again later", _name(tp), state.expected, exc)

    def _moving(self, tp: Any) -> None:
        if self.stuck.pop(tp, None) is not None:
            self._report()

    def _report(self) -> None:
        self.report(next(iter(self.stuck.values()), None))

    def _follow(self, generation: int) -> None:
        if generation != self.generation:  # a new assignment: every position comes from the broker again
            self.generation, self.partitions = generation, {}
            if self.stuck:
                self.stuck.clear()
                self._report()

    async def _learn(self, tp: Any, *more: Any) -> _Partition:
        """The state of `tp`, and of `more` and every other assigned input partition not known yet, from the broker.

        One question for all of them: asked per partition, each waited its turn behind the consumer's fetch.
        The agent may move a partition on while the broker answers: a state made meanwhile is kept, never reset.
        """
        assigned = self.broker.assignment() if self.broker is not None else set()
        wanted = {tp, *more, *(other for other in assigned if other.topic in self.topics)}
        starts = await self._starts([other for other in wanted if other not in self.partitions])
        for other, start in starts.items():
            self.partitions.setdefault(other, _Partition(start, last_checked=start))
        return self.partitions.setdefault(tp, _Partition(starts.get(tp, 0), last_checked=starts.get(tp, 0)))

    async def _starts(self, tps: list[Any]) -> dict[Any, int]:
        """Where each partition's reading starts: its committed offset, or its earliest when it has none."""
        if not tps or self.broker is None:
            return dict.fromkeys(tps, 0)
        earliest = await self.broker.earliest_offsets(*tps)
        return {tp: max(self.broker.committed(tp) or 0, earliest.get(tp) or 0) for tp in tps}
