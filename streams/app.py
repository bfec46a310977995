"""The faust-streaming app: topics, the serial -> state table, the releases view and the one stateful agent."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import faust

from lifecycle import metrics
from lifecycle.groups import PROCESSOR
from lifecycle.kafka_config import faust_broker_credentials
from lifecycle.rules import Policy
from lifecycle.settings import Settings
from lifecycle.topics import (
    CASE_DECISIONS,
    DEADLETTER,
    ENTITLEMENTS,
    HOLDS,
    MAX_MESSAGE_BYTES,
    NOTICES,
    PARTITIONS,
    UPGRADE_GRANTS,
    TopicSpec,
)
from streams.changelog import TABLE, ChangelogWrites
from streams.checkpoint import Checkpoint
from streams.delivery import Delivery
from streams.gaps import BrokerProbe
from streams.handler import Context, Handled, Inbound, Record, handle
from streams.in_order import PartitionOrder
from streams.releases import ReleasesView
from streams.rerouting import Rerouter
from streams.stored import StoredSerial, decode_stored
from streams.transport import SCHEME, ProcessorApp

log = logging.getLogger(__name__)

# The agent's sources, all co-partitioned with the serial table: what the processor's group reads (not releases:
# every worker reads the whole releases topic through its ReleasesView, and the store dead-letters invalid ones).
INPUTS: tuple[TopicSpec, ...] = PROCESSOR.reads
OUTPUTS: tuple[TopicSpec, ...] = (ENTITLEMENTS, NOTICES, CASE_DECISIONS, UPGRADE_GRANTS, HOLDS, DEADLETTER)
RAW: dict[str, Any] = {"key_type": bytes, "value_type": bytes, "key_serializer": "raw", "value_serializer": "raw"}
COMPONENT = "worker"
STALL_CHECK_SECONDS = 5.0
BEAT_SECONDS = 5.0  # an idle agent's heartbeat; a busy one beats after each message
DECODED_LIMIT = 5_000  # serials whose decoded state is kept in memory (50,000 cost 890 MB RSS, no speed)


def group_id(settings: Settings) -> str:
    """The processor's consumer group, also faust's app id (its changelog topics are named after it)."""
    return PROCESSOR.name(settings.topic_prefix)


def data_dir(settings: Settings) -> Path:
    """This worker's own data folder (RocksDB allows one owner per folder), named after the group it serves."""
    if settings.worker_data_dir:
        return Path(settings.worker_data_dir)
    return settings.home / "worker" / f"{group_id(settings)}-{settings.web_port}"


def faust_app(settings: Settings, checkpoint: Checkpoint) -> faust.App:
    """A faust App configured from Settings: at-least-once, committing by `checkpoint`, no table views."""
    return ProcessorApp(
        checkpoint,
        group_id(settings),
        broker=[f"{SCHEME}://{server}" for server in settings.kafka_bootstrap],  # streams.transport
        broker_client_id=group_id(settings),
        broker_credentials=faust_broker_credentials(settings),
        store=settings.worker_store,
        datadir=str(data_dir(settings)),
        processing_guarantee="at_least_once",
        table_standby_replicas=settings.worker_standby_replicas,
        topic_replication_factor=settings.worker_replication_factor,
        topic_partitions=PARTITIONS,
        consumer_auto_offset_reset="earliest",
        producer_linger=0.005,
        producer_max_request_size=MAX_MESSAGE_BYTES,  # the topics' max.message.bytes: what one fits, the other takes
        broker_session_timeout=20.0,  # a killed worker's partitions move on after 20 s, not faust's 60 s
        broker_heartbeat_interval=3.0,
        web_bind=settings.web_bind,
        web_host=settings.web_bind,
        web_port=settings.web_port,
        web_tables_enabled=False,
        web_router_enabled=False,
        worker_redirect_stdouts=False,
        autodiscover=False,
    )


@dataclass
class Processor:
    """The wired app: what the agent reads, keeps and writes."""

    settings: Settings
    app: faust.App
    table: Any
    outputs: dict[str, Any]
    view: ReleasesView
    policy: Policy
    checkpoint: Checkpoint
    changelog: ChangelogWrites
    rerouter: Rerouter

    decoded: OrderedDict[str, tuple[bytes, StoredSerial]] = field(default_factory=OrderedDict)
    busy_since: float | None = None  # when the agent took the message it handles now; None while it waits
    delivery: Delivery = field(init=False)

    def __post_init__(self) -> None:
        self.delivery = Delivery(self.send, self.store, COMPONENT)

    def load(self, serial: str) -> StoredSerial | None:
        """The serial's stored value; the decoded form (with the rules' cached fold) is reused while unchanged."""
        raw = self.table.get(serial.encode())
        if raw is None:
            return None
        cached = self.decoded.get(serial)
        if cached is not None and cached[0] == raw:
            self.decoded.move_to_end(serial)
            return cached[1]
        return decode_stored(raw)

    def store(self, serial: str, stored: StoredSerial, raw: bytes, partition: int) -> None:
        """Keep the serial's value (`raw`, encoded); its changelog record reaches the broker before the next commit."""
        self.changelog.write(serial.encode(), raw, partition)
        self.decoded[serial] = (raw, stored)
        self.decoded.move_to_end(serial)
        if len(self.decoded) > DECODED_LIMIT:
            self.decoded.popitem(last=False)

    async def send(self, record: Record) -> None:
        """Hand one record to faust's producer (it raises when the producer refuses the record)."""
        sent = await self.outputs[record.suffix].send(key=record.key, value=record.value)
        self.checkpoint.track(record.suffix, sent)

    async def process(self, stream: Any) -> AsyncIterator[None]:
        """The agent: one message at a time (concurrency 1), in offset order, every failure dead-lettered."""
        checkpoint = self.checkpoint
        async for event in stream.events():
            message = event.message
            if not await checkpoint.admit(message.tp, message.offset, message.generation_id):
                continue
            if not self.view.caught_up.is_set():
                await self.view.caught_up.wait()  # never apply an event against a half-read catalog
            started = time.perf_counter()
            self.busy_since = time.time()
            try:
                arrived = datetime.fromtimestamp(message.timestamp, UTC) if message.timestamp else None
                inbound = Inbound(message.topic, message.partition, message.offset, message.key, message.value, arrived)
                context = Context(
                    self.settings.topic_prefix,
                    self.view.catalog,
                    self.policy,
                    preview_bytes=self.settings.deadletter_preview_bytes,
                )
                handled = await self.rerouter.forward(inbound, message.headers, context)  # off its key's partition?
                if handled is None:
                    handled = handle(inbound, self.load, context)
                handled = await self.delivery.finish(inbound, handled, context)
                checkpoint.done(message.tp, message.offset)
            finally:
                self.busy_since = None
            _count(handled, time.perf_counter() - started)
            yield None

    def report_health(self) -> None:
        """Beat while the agent waits for input (an idle worker is live); not ready until the catalog is read."""
        if self.busy_since is None:
            metrics.beat(COMPONENT)
        metrics.report_ready(COMPONENT, None if self.view.caught_up.is_set() else "reading the releases catalog")


def _count(handled: Handled, seconds: float) -> None:
    metrics.EVENTS.labels(COMPONENT, handled.outcome).inc()
    if handled.reason is not None and handled.records:  # none: its dead letter could not be published
        metrics.DEAD_LETTERS.labels(COMPONENT).inc()
    metrics.PROCESSING_SECONDS.labels(COMPONENT).observe(seconds)
    metrics.beat(COMPONENT)


def create_processor(settings: Settings) -> Processor:
    """Build the app, its topics, table, releases view and agent from Settings."""
    prefix = settings.topic_prefix
    order = PartitionOrder(
        BrokerProbe(settings, f"{group_id(settings)}-probe"),
        frozenset(spec.name(prefix) for spec in INPUTS),
        lambda: int(app.consumer_generation_id),  # the app made below
        lambda reason: metrics.report_stuck(COMPONENT, reason),
    )
    checkpoint = Checkpoint(order)
    app = faust_app(settings, checkpoint)
    table = app.Table(
        TABLE,
        default=None,
        partitions=PARTITIONS,
        key_type=bytes,
        value_type=bytes,
        help="serial -> state",
        extra_topic_configs={"max.message.bytes": str(MAX_MESSAGE_BYTES)},
    )
    outputs = {spec.suffix: app.topic(spec.name(prefix), partitions=spec.partitions, **RAW) for spec in OUTPUTS}
    view = ReleasesView(settings)
    policy = settings.policy()
    rerouter = Rerouter({spec.name(prefix): spec.partitions for spec in INPUTS}, lambda: app.producer, checkpoint.track)
    changelog = ChangelogWrites(table, checkpoint.track)
    processor = Processor(settings, app, table, outputs, view, policy, checkpoint, changelog, rerouter)
    inputs = app.topic(*(spec.name(prefix) for spec in INPUTS), **RAW)
    app.agent(inputs, name="apply_events", concurrency=1)(processor.process)
    app.task(view.run)

    app.timer(STALL_CHECK_SECONDS)(checkpoint.check_idle)

    async def report_health() -> None:
        processor.report_health()

    app.timer(min(BEAT_SECONDS, settings.health_live_seconds / 3))(report_health)  # beats well inside the window

    return processor
