"""The faust-streaming app: topics, the serial -> state table, the releases view and the agent, wired from Settings."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from lifecycle import metrics
from lifecycle.groups import PROCESSOR
from lifecycle.kafka_config import faust_broker_credentials
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
from streams.agent import COMPONENT, Processor
from streams.changelog import CHANGELOG, TABLE, ChangelogWrites
from streams.checkpoint import Checkpoint
from streams.gaps import BrokerProbe
from streams.in_order import PartitionOrder
from streams.outbox import Outbox
from streams.releases import ReleasesView
from streams.rerouting import Rerouter
from streams.transport import SCHEME, ProcessorApp

log = logging.getLogger(__name__)

# The agent's sources, all co-partitioned with the serial table: what the processor's group reads (not releases:
# every worker reads the whole releases topic through its ReleasesView, and the store dead-letters invalid ones).
INPUTS: tuple[TopicSpec, ...] = PROCESSOR.reads
OUTPUTS: tuple[TopicSpec, ...] = (ENTITLEMENTS, NOTICES, CASE_DECISIONS, UPGRADE_GRANTS, HOLDS, DEADLETTER)
RAW: dict[str, Any] = {"key_type": bytes, "value_type": bytes, "key_serializer": "raw", "value_serializer": "raw"}
STALL_CHECK_SECONDS = 5.0
BEAT_SECONDS = 5.0  # an idle agent's heartbeat; a busy one beats after each batch
# Per partition, what the producer gathers into one request; faust's 16 KiB made a batch's sends wait for the broker.
PRODUCER_BATCH_BYTES = 512 * 1024


def group_id(settings: Settings) -> str:
    """The processor's consumer group, also faust's app id (its changelog topics are named after it)."""
    return PROCESSOR.name(settings.topic_prefix)


def data_dir(settings: Settings) -> Path:
    """This worker's own data folder (RocksDB allows one owner per folder), named after the group it serves."""
    if settings.worker_data_dir:
        return Path(settings.worker_data_dir)
    return settings.home / "worker" / f"{group_id(settings)}-{settings.web_port}"


def faust_app(settings: Settings, checkpoint: Checkpoint) -> ProcessorApp:
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
        producer_max_batch_size=PRODUCER_BATCH_BYTES,
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


def create_processor(settings: Settings) -> Processor:
    """Build the app, its topics, table, releases view and agent from Settings."""
    prefix = settings.topic_prefix
    probe = BrokerProbe(settings, f"{group_id(settings)}-probe")
    order = PartitionOrder(
        probe,
        frozenset(spec.name(prefix) for spec in INPUTS),
        lambda: int(app.consumer_generation_id),  # the app made below
        lambda reason: metrics.report_stuck(COMPONENT, reason),
    )
    checkpoint = Checkpoint(order)
    app = faust_app(settings, checkpoint)
    app.close_on_stop(probe.close)
    table = app.Table(
        TABLE,
        default=None,
        partitions=PARTITIONS,
        key_type=bytes,
        value_type=bytes,
        help="serial -> state",
        extra_topic_configs={"max.message.bytes": str(MAX_MESSAGE_BYTES)},
    )
    view = ReleasesView(settings)
    policy = settings.policy()
    rerouter = Rerouter({spec.name(prefix): spec.partitions for spec in INPUTS}, lambda: app.producer, checkpoint.track)

    partitions = {spec.name(prefix): spec.partitions for spec in (*OUTPUTS, CHANGELOG)}

    def aiokafka_producer() -> Any:  # faust makes it when the app starts
        producer: Any = app.producer  # faust's aiokafka driver (tests/unit/processor/test_faust_canary.py)
        return producer._ensure_producer()

    outbox = Outbox(aiokafka_producer, partitions, checkpoint.track)
    changelog = ChangelogWrites(table, CHANGELOG.name(prefix), outbox)
    topics = {spec.suffix: spec.name(prefix) for spec in OUTPUTS}
    processor = Processor(settings, app, table, view, policy, checkpoint, changelog, rerouter, outbox, topics)
    inputs = app.topic(*(spec.name(prefix) for spec in INPUTS), **RAW)
    app.agent(inputs, name="apply_events", concurrency=1)(processor.process)
    app.on_partitions_revoked.connect(processor.forget)  # its decoded values may be stale once they come back
    app.task(view.run)

    app.timer(STALL_CHECK_SECONDS)(checkpoint.check_idle)

    async def report_health() -> None:
        processor.report_health()

    app.timer(min(BEAT_SECONDS, settings.health_live_seconds / 3))(report_health)  # beats well inside the window

    return processor
