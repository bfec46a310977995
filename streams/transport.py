"""The `lifecycle://` faust transport: faust's aiokafka driver whose consumer commits what the Checkpoint says.

Registered as faust registers its drivers, under the `faust.transports` entry point (pyproject.toml), so
`broker="lifecycle://host:port"` selects it. The consumer subclass changes six things of faust's own:
  - the commit position of a partition is the Checkpoint's (`_new_offset`), and a commit first waits until
    the Checkpoint's records are acknowledged (`_commit`);
  - a jump in offsets is never recorded as processed (`_add_gap` does nothing);
  - every assigned partition is offered for commit, not only those with a message acked
    (`_filter_tps_with_pending_acks`);
  - its fetch loop drops no message as already read (`_read_offset` answers None): the Checkpoint skips what
    it handled, and rereads after a seek must come through;
  - it reads only committed records (`read_committed`): faust does so only when it runs exactly-once, and a
    producer's aborted transaction must never be applied.
  - its fetch loop hands a message to the streams by awaiting the callback, not through four tasks a message
    (`_drain_messages`).
`tests/unit/processor/test_faust_canary.py` fails when faust changes any of these names or their use.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping, MutableMapping
from typing import Any, ClassVar

import faust
from faust.transport.consumer import CONSUMER_FETCHING
from faust.transport.drivers import aiokafka

from streams.checkpoint import Checkpoint
from streams.kafka_clients import ISOLATION_LEVEL

log = logging.getLogger(__name__)

SCHEME = "lifecycle"
YIELD_EVERY = 100  # messages the fetch loop hands on before it lets other tasks run, as faust's does
Close = Callable[[], Awaitable[None] | None]


class _NothingRead(dict[Any, int | None]):
    """Read offsets that answer None: faust's fetch loop then drops no message and records no gap."""

    def __getitem__(self, key: Any) -> int | None:
        return None


class CommittedReadThread(aiokafka.AIOKafkaConsumerThread):
    """faust's consumer thread whose aiokafka consumer reads committed records only."""

    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        # Not started yet: aiokafka hands this to its fetcher in start(). faust sets it to read_committed only
        # when it runs transactions itself, which would also make it commit through the producer.
        consumer._isolation_level = ISOLATION_LEVEL
        return consumer


class CheckpointConsumer(aiokafka.Consumer):
    """faust's aiokafka consumer, committing the positions of the app's Checkpoint."""

    checkpoint: Checkpoint

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        checkpoint = getattr(self.app, "checkpoint", None)
        if not isinstance(checkpoint, Checkpoint):
            raise TypeError(f"the {SCHEME}:// transport needs a ProcessorApp (an app with a Checkpoint)")
        self.checkpoint = checkpoint
        checkpoint.attach(self)

    def _new_consumer_thread(self) -> CommittedReadThread:
        return CommittedReadThread(self, loop=self.loop, beacon=self.beacon)

    async def _seek(self, partition: Any, offset: int) -> None:
        # faust's own `_seek` calls aiokafka's `seek` from the app's thread, while the consumer's thread may be going
        # through that partition's fetched records: the fetcher's dict changes under it, a KeyError that stops the
        # worker. faust's recovery seeks on the consumer's thread (`seek_wait`); so does this.
        await self._thread.seek_wait({partition: offset})

    @property
    def _read_offset(self) -> MutableMapping[Any, int | None]:
        return _NothingRead()

    @_read_offset.setter
    def _read_offset(self, offsets: MutableMapping[Any, int | None]) -> None:
        """faust sets and updates its read offsets; they are not kept."""

    def _filter_tps_with_pending_acks(self, topics: Any = None) -> Iterator[Any]:
        # faust commits only partitions it acked a message of. One whose offsets were all absent (an aborted
        # transaction and its marker) has none, yet the Checkpoint went past them: ask about every assigned one.
        tps = set(self._acked) | set(self.assignment())
        return (tp for tp in tps if topics is None or tp in topics or tp.topic in topics)

    def committed(self, tp: Any) -> int | None:
        """The group's last committed offset of `tp` in this assignment, or None."""
        offset: int | None = self._committed_offset.get(tp)
        return offset

    def _new_offset(self, tp: Any) -> int | None:
        position = self.checkpoint.commit_position(tp)
        acked = self._acked.get(tp)
        if position is not None and acked:  # faust's acks are not used, only trimmed
            finished = [offset for offset in acked if offset < position]
            acked[:] = [offset for offset in acked if offset >= position]
            self._acked_index[tp].difference_update(finished)
        return position

    async def _add_gap(self, tp: Any, offset_from: int, offset_to: int) -> None:
        return None

    async def _drain_messages(self, fetcher: Any) -> None:
        """faust's fetch loop, handing each message to the streams without four tasks per message.

        faust awaits each message's callback through `wait_first` with the flow's suspension and its own stop and
        crash events: four tasks and an `asyncio.wait` per message, a tenth of the worker's time. Here, while the
        flow runs, the callback is awaited directly (a full stream buffer still makes it wait); while it is
        suspended (a rebalance), through `wait_first` as faust does. No read offset is kept and no gap recorded:
        the Checkpoint keeps the position (`_read_offset`, `_add_gap` above).
        """
        callback, getmany, flow_control = self.callback, self.getmany, self.app.flow_control
        should_stop, fetcher_should_stop = self._stopped.is_set, fetcher._stopped.is_set
        commit_every = self._commit_every
        since_yield = 0
        try:
            while not (should_stop() or fetcher_should_stop()):
                self.diag.set_flag(CONSUMER_FETCHING)
                records = getmany(timeout=1.0)
                await self.sleep(0)  # getmany may answer at once, again and again: let the loop run
                if self.should_stop:
                    break
                async for _tp, message in records:
                    since_yield += 1
                    if since_yield > YIELD_EVERY:
                        await asyncio.sleep(0)
                        since_yield = 0
                    if commit_every is not None and self._n_acked >= commit_every:
                        self._n_acked = 0
                        await self.commit()
                    if self.flow_active and flow_control.is_active():
                        await callback(message)
                    else:
                        await self.wait_first(callback(message), self.suspend_flow.wait())
                self.diag.unset_flag(CONSUMER_FETCHING)
        except self.consumer_stopped_errors:
            if not self.transport.app.should_stop:
                raise
            self.log.info("Broker stopped consumer, shutting down...")
        except asyncio.CancelledError:
            if not self.transport.app.should_stop:
                raise
            self.log.info("Consumer shutting down for user cancel.")
        except Exception as exc:
            self.log.exception("Drain messages raised: %r", exc)
            raise
        finally:
            self.diag.unset_flag(CONSUMER_FETCHING)

    async def _commit(self, offsets: Mapping[Any, int]) -> bool:
        await self.checkpoint.settle()
        committed: bool = await super()._commit(offsets)
        return committed


class Transport(aiokafka.Transport):
    """faust's aiokafka transport with the CheckpointConsumer."""

    Consumer: ClassVar[type[Any]] = CheckpointConsumer


class ProcessorApp(faust.App):
    """faust's App with the Checkpoint its `lifecycle://` consumer commits by, and what it closes when it stops."""

    def __init__(self, checkpoint: Checkpoint, *args: Any, **kwargs: Any) -> None:
        self.checkpoint = checkpoint
        self.closers: list[Close] = []
        super().__init__(*args, **kwargs)

    def close_on_stop(self, close: Close) -> None:
        """Call `close` (plain or async) once the app has stopped, after its agents and timers."""
        self.closers.append(close)

    async def on_shutdown(self) -> None:
        # mode calls this at the end of a stop, once the app's children (agents, timers, consumer) have stopped.
        await super().on_shutdown()
        closers, self.closers = self.closers, []
        for close in closers:
            try:
                closing = close()
                if inspect.isawaitable(closing):
                    await closing
            except Exception as exc:  # one that fails to close must not keep the others open
                log.warning("closing %r on stop failed: %r", close, exc)
