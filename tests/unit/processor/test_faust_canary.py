"""The faust-streaming internals the processor relies on are still there and used the same way.

`streams/transport.py` subclasses faust's aiokafka consumer and overrides private methods, and `streams/changelog.py`
writes a table's store and changelog directly. A faust release that renames, re-signs or stops calling any of them
fails here, before a worker could silently lose or re-commit offsets. After a faust upgrade, read each failure
against faust's new source, adapt streams/transport.py, then move the pin in pyproject.toml.
"""

from __future__ import annotations

import inspect
import re
import tomllib
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

import faust
from faust import streams as faust_streams
from faust.tables.base import Collection
from faust.topics import Topic
from faust.transport import consumer as faust_consumer
from faust.transport import drivers
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types.stores import StoreT
from mode import Service

from streams import transport

PYPROJECT = Path(__file__).resolve().parents[3] / "pyproject.toml"


def parameters(function: Callable[..., Any]) -> list[str]:
    return list(inspect.signature(function).parameters)


def source(function: Callable[..., Any]) -> str:
    return inspect.getsource(function)


def test_the_installed_faust_is_the_tested_minor_version_pinned_in_pyproject() -> None:
    dependencies = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    [pin] = [d for d in dependencies if d.startswith("faust-streaming")]
    assert pin == "faust-streaming>=0.15.3,<0.16"
    assert re.fullmatch(r"0\.15\.\d+", version("faust-streaming"))


def test_the_lifecycle_scheme_selects_our_transport_through_faust_s_driver_registry() -> None:
    assert "faust.transports" in drivers.TRANSPORTS.namespaces  # how faust finds drivers of other packages
    # Missing after a fresh checkout until the project is installed again: `make setup` (pip install -e .).
    assert drivers.by_url(f"{transport.SCHEME}://127.0.0.1:9092") is transport.Transport
    assert faust_aiokafka.Transport.Consumer is faust_aiokafka.Consumer  # a class attribute faust reads
    assert issubclass(transport.CheckpointConsumer, faust_consumer.Consumer)


def test_the_consumer_methods_overridden_keep_their_signatures_and_callers() -> None:
    base = faust_consumer.Consumer
    assert parameters(base._new_offset) == ["self", "tp"]
    assert parameters(base._add_gap) == ["self", "tp", "offset_from", "offset_to"]
    assert parameters(faust_aiokafka.Consumer._commit) == ["self", "offsets"]
    assert inspect.iscoroutinefunction(base._add_gap)
    assert inspect.iscoroutinefunction(faust_aiokafka.Consumer._commit)
    assert "self._new_offset(tp)" in source(base._filter_committable_offsets)  # the commit position is ours
    assert "await self._commit(committable_offsets)" in source(base._commit_offsets)  # settled before commits
    drain = source(base._drain_messages)
    assert "self._read_offset.__getitem__" in drain  # the fetch loop's drop check reads our None
    assert "await self._add_gap(" in drain  # a jump in offsets goes through our no-op


def test_the_fetch_loop_replaced_is_still_faust_s_and_uses_what_ours_uses() -> None:
    base = faust_consumer.Consumer
    assert parameters(base._drain_messages) == ["self", "fetcher"]
    drain = source(base._drain_messages)
    for used in (
        "callback = self.callback",
        "getmany = self.getmany",
        "getmany(timeout=1.0)",
        "commit_every = self._commit_every",
        "self._n_acked >= commit_every",
        "callback(message), self.suspend_flow.wait()",
        "except self.consumer_stopped_errors:",
        "set_flag = self.diag.set_flag",
    ):
        assert used in drain, used
    assert "self.suspend_flow.set()" in source(base.stop_flow)
    assert "self.flow_active = False" in source(base.stop_flow)
    assert "if self._suspend.is_set():" in source(type(faust.App("canary", autodiscover=False).flow_control).acquire)


def test_a_seek_runs_on_the_consumer_s_thread_as_recovery_s_does() -> None:
    # faust's `_seek` seeks from the app's thread (the race `CheckpointConsumer._seek` avoids); `seek_wait` is
    # the thread's own way, a call queued to it that seeks aiokafka's consumer there.
    assert "self._thread.seek(partition, offset)" in source(faust_consumer.ThreadDelegateConsumer._seek)
    thread = faust_aiokafka.AIOKafkaConsumerThread
    assert parameters(thread.seek_wait) == ["self", "partitions"]
    assert "self.call_thread(self._seek_wait" in source(thread.seek_wait)
    assert "consumer.seek(tp, offset)" in source(thread._seek_wait)
    assert "await self._seek(partition, offset)" in source(faust_consumer.Consumer.seek)


def test_the_consumer_state_read_or_trimmed_keeps_its_names() -> None:
    init = source(faust_consumer.Consumer.__init__)
    for name in ("_read_offset", "_acked", "_acked_index", "_committed_offset"):
        assert f"self.{name} = " in init
    assert "self._committed_offset.update(" in source(faust_consumer.Consumer._commit_offsets)
    assert "acked_for_tp = self._acked[tp]" in source(faust_consumer.Consumer.ack)
    assert "self._read_offset[ensure_TP(partition)]" in source(faust_consumer.Consumer.seek)


def test_the_consumer_methods_the_position_calls_are_public_and_async() -> None:
    consumer = faust_aiokafka.Consumer
    assert parameters(consumer.seek) == ["self", "partition", "offset"]
    assert parameters(consumer.earliest_offsets) == ["self", "partitions"]
    assert parameters(consumer.highwaters) == ["self", "partitions"]
    for method in (consumer.seek, consumer.earliest_offsets, consumer.highwaters):
        assert inspect.iscoroutinefunction(method)
    assert "flow_active" in vars(faust_consumer.Consumer)


def test_table_writes_and_sends_keep_what_the_checkpoint_tracks() -> None:
    assert isinstance(vars(Collection)["data"], property)  # the table's local store
    # Once a changelog record is acknowledged, faust keeps its offset in the store as streams.changelog does.
    assert "self.data.set_persisted_offset(res.topic_partition, res.offset)" in source(Collection._on_changelog_sent)
    assert "set_persisted_offset" in vars(StoreT)
    assert "await producer.send(" in source(Topic.publish_message)  # Topic.send returns the delivery future
    app = faust.App("canary", autodiscover=False)
    assert app.conf.stream_publish_on_commit is False  # else sends would wait for a commit


def test_the_crash_and_generation_attributes_read_by_the_worker_exist() -> None:
    assert isinstance(vars(Service)["crash_reason"], property)  # set on every service up to the worker on a crash
    assert faust.App.consumer_generation_id == 0  # the assignment's generation, set by faust's assignor
    assert "message.generation_id != self.app.consumer_generation_id" in source(faust_streams.Stream._py_aiter)


def test_the_batch_agent_sets_the_current_event_the_rocksdb_store_reads_its_partition_from() -> None:
    from faust.stores import rocksdb as faust_rocksdb

    assert "_current_event.set(" in source(faust_streams.Stream._set_current_event)
    assert faust_streams.current_event() is None  # read through the context variable the agent sets
    for method in (faust_rocksdb.Store._set, faust_rocksdb.Store._get):
        assert "event = current_event()" in source(method)
        assert "event.message.partition" in source(method)


def test_the_producer_send_the_agent_calls_keeps_its_signature() -> None:
    producer_send = faust_aiokafka.Producer.send
    assert parameters(producer_send)[:7] == ["self", "topic", "key", "value", "partition", "timestamp", "headers"]
    assert inspect.iscoroutinefunction(producer_send)  # awaited: the record is buffered; returns its delivery


def test_the_aiokafka_producer_the_outbox_batches_through_is_reached_as_before() -> None:
    from aiokafka import AIOKafkaProducer

    # streams.app hands streams.outbox faust's own aiokafka producer, started and stopped with the app.
    assert parameters(faust_aiokafka.Producer._ensure_producer) == ["self"]
    assert "return self._producer" in source(faust_aiokafka.Producer._ensure_producer)
    assert "self._producer = self._new_producer()" in source(faust_aiokafka.Producer.on_start)
    assert parameters(AIOKafkaProducer.create_batch) == ["self"]
    assert parameters(AIOKafkaProducer.send_batch) == ["self", "batch", "topic", "partition"]


def test_the_worker_consumer_s_isolation_level_is_set_where_aiokafka_reads_it() -> None:
    import aiokafka as aiokafka_package

    # streams.transport hands faust its own consumer thread and sets read_committed on the consumer it creates.
    assert "return AIOKafkaConsumerThread(self" in source(faust_aiokafka.Consumer._new_consumer_thread)
    assert "isolation_level=isolation_level" in source(faust_aiokafka.AIOKafkaConsumerThread._create_worker_consumer)
    assert "isolation_level=self._isolation_level" in source(aiokafka_package.AIOKafkaConsumer.start)


def test_faust_commits_the_partitions_its_filter_offers() -> None:
    # streams.transport offers every assigned partition through this filter, not only those with acks.
    assert "self._filter_tps_with_pending_acks(topics)" in source(faust_consumer.Consumer.force_commit)
    assert "self._new_offset(tp)" in source(faust_consumer.Consumer._filter_committable_offsets)


def test_the_batches_taken_from_the_stream_s_queue_do_what_faust_s_stream_iterator_does() -> None:
    from faust.channels import Channel
    from faust.types.tuples import Message
    from mode.utils.queues import FlowControlQueue

    # streams.taking reads the queue the conductor delivers to: the stream's channel's, as faust's iterator does.
    assert "channel=aiter(channel)" in source(faust.App.stream)
    assert isinstance(vars(Channel)["queue"], property)
    assert "put = self.queue.put" in source(Channel._compile_deliver)
    for method in ("get", "get_nowait", "empty"):
        assert method in vars(FlowControlQueue) or method in vars(FlowControlQueue.__mro__[1])
    iterator = source(faust_streams.Stream._py_aiter)
    for used in (
        "chan_queue = chan.queue",
        "not self.app.flow_control.is_active()",
        "or message.generation_id != self.app.consumer_generation_id",
        "if topic in acking_topics and not message.tracked:",
        "message.tracked = True",
        "unacked: Set[Message] = consumer.unacked",
    ):
        assert used in iterator, used
    assert "self._unacked_messages)" in source(vars(faust_consumer.Consumer)["unacked"].fget)
    assert "self._unacked_messages" in source(faust_consumer.Consumer.wait_empty)  # a rebalance waits for them
    assert {"tracked", "generation_id", "acked", "refcount"} <= set(Message.__slots__)
    assert "return self.message.ack(self.app.consumer)" in source(faust.Event.ack)
    assert "acking_topics" in vars(type(faust.App("canary", autodiscover=False).topics))


def test_the_local_store_written_per_partition_is_reached_as_before() -> None:
    from faust.stores import rocksdb as faust_rocksdb

    # streams.changelog writes the table's RocksDB databases one write batch per partition, as faust opens them.
    assert parameters(faust_rocksdb.Store._db_for_partition) == ["self", "partition"]
    assert "self._dbs[partition]" in source(faust_rocksdb.Store._db_for_partition)
    assert "self.use_rocksdict" in source(faust_rocksdb.Store.__init__)
