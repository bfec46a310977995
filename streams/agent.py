"""The processor's one stateful agent: batches of messages, each serial read and written once per batch."""

from __future__ import annotations

import time
import weakref
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from faust.streams import _current_event

from lifecycle import metrics
from lifecycle.rules import Policy
from lifecycle.settings import Settings
from streams.batch import SerialBatch
from streams.changelog import ChangelogWrites
from streams.checkpoint import Checkpoint
from streams.delivery import Delivery
from streams.handler import Context, Inbound, Record, handle
from streams.outbox import Outbox
from streams.releases import ReleasesView
from streams.rerouting import Rerouter
from streams.stopping import one_line, stop_worker
from streams.stored import StoredSerial, decode_stored
from streams.taking import take_batches
from streams.transport import ProcessorApp

COMPONENT = "worker"
BATCH_EVENTS = 500  # messages the agent takes at most at once
BATCH_SECONDS = 0.05  # how long it waits to fill a batch before handling what it has
DECODED_LIMIT = 5_000  # serials whose decoded state is kept in memory (50,000 cost 890 MB RSS, no speed)


@dataclass
class Processor:
    """The wired app: what the agent reads, keeps and writes."""

    settings: Settings
    app: ProcessorApp
    table: Any
    view: ReleasesView
    policy: Policy
    checkpoint: Checkpoint
    changelog: ChangelogWrites
    rerouter: Rerouter
    outbox: Outbox
    topics: dict[str, str]  # output topic suffix -> name

    # What this worker last wrote or read of recent serials, decoded: the table's value while the group's generation
    # lasts. A rebalance may hand a partition to another worker and back, its store restored from the changelog,
    # so a new generation (or a revocation) empties it.
    decoded: OrderedDict[str, StoredSerial] = field(default_factory=OrderedDict)
    decoded_generation: int = -1
    busy_since: float | None = None  # when the agent took the batch it handles now; None while it waits
    delivery: Delivery = field(init=False)
    batch: SerialBatch = field(init=False)

    def __post_init__(self) -> None:
        self.batch = SerialBatch(self.load)
        self.delivery = Delivery(self.send, self.batch.store, COMPONENT)

    def load(self, serial: str) -> StoredSerial | None:
        """The serial's stored value: decoded from the table once, then kept decoded (with the rules' cached fold)."""
        stored = self.decoded.get(serial)
        if stored is not None:
            self.decoded.move_to_end(serial)
            return stored
        raw = self.table.data.get(serial.encode())  # the store itself: the Table's `get` reads a key twice
        if raw is None:
            return None
        stored = decode_stored(raw)
        self._keep(serial, stored)
        return stored

    def write(self, serial: str, stored: StoredSerial, raw: bytes, partition: int) -> None:
        """Keep the serial's value (`raw`, encoded); its changelog record reaches the broker before the next commit."""
        self.changelog.write(serial.encode(), raw, partition)
        self._keep(serial, stored)

    def forget(self, *_: Any, **__: Any) -> None:
        """Drop every decoded value: the partitions are moving, and their stores may be restored from the changelog."""
        self.decoded.clear()
        self.decoded_generation = -1

    def _follow(self, generation: int) -> None:
        if generation != self.decoded_generation:
            self.forget()
            self.decoded_generation = generation

    def _keep(self, serial: str, stored: StoredSerial) -> None:
        if self.decoded_generation != self.app.consumer_generation_id:  # a rebalance came while the batch ran
            self.decoded.pop(serial, None)
            return
        self.decoded[serial] = stored
        self.decoded.move_to_end(serial)
        if len(self.decoded) > DECODED_LIMIT:
            self.decoded.popitem(last=False)

    async def send(self, record: Record) -> None:
        """Keep one record for the batch's end, when the Outbox sends it and the Checkpoint tracks its delivery."""
        self.outbox.add(record.suffix, self.topics[record.suffix], record.key, record.value)

    async def process(self, stream: Any) -> AsyncIterator[None]:
        """The agent (concurrency 1): batches of messages, each in offset order, every failure dead-lettered."""
        async for events in take_batches(stream, BATCH_EVENTS, BATCH_SECONDS):
            await self.handle_batch(events)
            yield None

    async def handle_batch(self, events: Sequence[Any]) -> None:
        """Handle a batch; each serial's state is written once at its end, and only then may its offsets commit."""
        checkpoint = self.checkpoint
        started = time.perf_counter()
        self.busy_since = time.time()
        outcomes: Counter[str] = Counter()
        dead_letters = 0
        last_of_partition: dict[int, Any] = {}
        checkpoint.hold()
        try:
            context = self._context()
            for event in events:
                message = event.message
                if not await checkpoint.admit(message.tp, message.offset, message.generation_id):
                    continue
                self._follow(message.generation_id)
                if not self.view.caught_up.is_set():
                    await self.view.caught_up.wait()  # never apply an event against a half-read catalog
                if context.catalog is not self.view.catalog:
                    context = self._context()
                as_current(event)
                last_of_partition[message.partition] = event
                arrived = datetime.fromtimestamp(message.timestamp, UTC) if message.timestamp else None
                inbound = Inbound(message.topic, message.partition, message.offset, message.key, message.value, arrived)
                handled = await self.rerouter.forward(inbound, message.headers, context)  # off its key's partition?
                if handled is None:
                    handled = handle(inbound, self.batch.load, context)
                handled = await self.delivery.finish(inbound, handled, context)
                checkpoint.done(message.tp, message.offset)
                outcomes[handled.outcome] += 1
                dead_letters += handled.reason is not None and bool(handled.records)
        finally:
            # Every message done so far has its outputs tracked and its state here: keep it, then let them commit.
            await self._flush(last_of_partition)
            self.busy_since = None
            checkpoint.release()
        _count(outcomes, dead_letters, time.perf_counter() - started)

    def _context(self) -> Context:
        preview = self.settings.deadletter_preview_bytes
        return Context(self.settings.topic_prefix, self.view.catalog, self.policy, preview_bytes=preview)

    async def _flush(self, last_of_partition: dict[int, Any]) -> None:
        try:
            for serial, stored, raw, partition in self.batch.flush():
                as_current(last_of_partition[partition])  # the table's store keeps a key in its event's partition
                self.write(serial, stored, raw, partition)
            self.changelog.keep()
        except Exception as exc:  # the batch's state is not kept: no commit may pass it
            stop_worker(f"storing the serials' state failed: {one_line(exc)}")
        try:
            await self.outbox.send()
        except Exception as exc:  # records of handled messages did not reach the producer: no commit may pass them
            stop_worker(f"sending the batch's records failed: {one_line(exc)}")

    def report_health(self) -> None:
        """Beat while the agent waits for input (an idle worker is live); not ready until the catalog is read."""
        if self.busy_since is None:
            metrics.beat(COMPONENT)
        metrics.report_ready(COMPONENT, None if self.view.caught_up.is_set() else "reading the releases catalog")


def as_current(event: Any) -> None:
    """Make `event` the agent's current one: faust's RocksDB store reads and writes in its partition.

    The batch is taken from the stream's queue (`streams.taking`), so faust's stream iterator does not set it.
    """
    _current_event.set(weakref.ref(event))


def _count(outcomes: Counter[str], dead_letters: int, seconds: float) -> None:
    """The batch's metrics, once: messages by outcome, dead letters published, the batch's time, a heartbeat."""
    for outcome, count in outcomes.items():
        metrics.EVENTS.labels(COMPONENT, outcome).inc(count)
    if dead_letters:
        metrics.DEAD_LETTERS.labels(COMPONENT).inc(dead_letters)
    metrics.PROCESSING_SECONDS.labels(COMPONENT).observe(seconds)
    metrics.beat(COMPONENT)
