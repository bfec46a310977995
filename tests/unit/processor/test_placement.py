"""The routing decision: a message belongs on its key's murmur2 partition, as kafka-python and aiokafka place it."""

from __future__ import annotations

import orjson
import pytest
from aiokafka.partitioner import DefaultPartitioner as AiokafkaPartitioner
from hypothesis import given, settings
from hypothesis import strategies as st
from kafka.partitioner import DefaultPartitioner as KafkaPythonPartitioner

from lifecycle.partitioning import murmur2_partition
from lifecycle.topics import PARTITIONS
from streams.placement import REROUTED_FROM, Refuse, Reroute, place, source_label

# Java's own murmur2 values (org.apache.kafka.common.utils.UtilsTest#testMurmur2), as signed 32-bit ints.
JAVA_MURMUR2 = {
    b"21": -973932308,
    b"foobar": -790332482,
    b"a-little-bit-long-string": -985981536,
    b"a-little-bit-longer-string": -1486304829,
    b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
    b"abc": 479470107,
}
KEYS = st.one_of(st.binary(max_size=64), st.from_regex(r"SF-[A-Z0-9]{2,6}-[0-9]{1,6}", fullmatch=True).map(str.encode))


class Cluster:
    """The cluster metadata kafka-python's DefaultPartitioner asks for: one topic with `count` partitions."""

    def __init__(self, count: int) -> None:
        self.count = count

    def topics(self) -> set[str]:
        return {"t"}

    def partitions_for_topic(self, topic: str) -> set[int]:
        return set(range(self.count))

    def available_partitions_for_topic(self, topic: str) -> set[int]:
        return set(range(self.count))


@pytest.mark.parametrize(("key", "java"), JAVA_MURMUR2.items())
@pytest.mark.parametrize("count", [1, 6, 7, 12])
def test_partitions_follow_javas_murmur2(key: bytes, java: int, count: int) -> None:
    assert murmur2_partition(key, count) == (java & 0x7FFFFFFF) % count


@settings(max_examples=500, deadline=None)
@given(key=KEYS, count=st.integers(min_value=1, max_value=64))
def test_partitions_equal_kafka_python_and_aiokafka_placements(key: bytes, count: int) -> None:
    kafka_python = KafkaPythonPartitioner().partition("t", key, key, None, None, Cluster(count))
    aiokafka = AiokafkaPartitioner()(key, list(range(count)), list(range(count)))
    assert murmur2_partition(key, count) == kafka_python == aiokafka


def test_many_serials_spread_over_every_partition_as_kafka_python_puts_them() -> None:
    keys = [f"SF-{n:05d}".encode() for n in range(2_000)]
    placed = [murmur2_partition(key, PARTITIONS) for key in keys]
    cluster = Cluster(PARTITIONS)
    assert placed == [KafkaPythonPartitioner().partition("t", k, k, None, None, cluster) for k in keys]
    assert set(placed) == set(range(PARTITIONS))


def _own(key: bytes) -> int:
    return murmur2_partition(key, PARTITIONS)


def _other(key: bytes) -> int:
    return (_own(key) + 1) % PARTITIONS


def test_a_message_on_its_keys_partition_is_handled_where_it_is() -> None:
    assert place("p.purchases", _own(b"SF-1"), 7, b"SF-1", None, PARTITIONS) is None
    rerouted = [(REROUTED_FROM, b"p.purchases/0/3")]
    assert place("p.purchases", _own(b"SF-1"), 7, b"SF-1", rerouted, PARTITIONS) is None


def test_a_message_without_a_key_falls_through_to_the_handler() -> None:
    assert place("p.purchases", 4, 7, None, None, PARTITIONS) is None


def test_a_misplaced_message_goes_to_its_keys_partition_with_its_headers_and_its_origin() -> None:
    headers = [("trace", b"abc"), ("source-app", b"store")]
    decided = place("p.renewals", _other(b"SF-2"), 41, b"SF-2", headers, PARTITIONS)
    assert decided == Reroute(_own(b"SF-2"), (*headers, (REROUTED_FROM, f"p.renewals/{_other(b'SF-2')}/41".encode())))
    assert place("p.renewals", _other(b"SF-2"), 41, b"SF-2", None, PARTITIONS) == Reroute(
        _own(b"SF-2"), ((REROUTED_FROM, f"p.renewals/{_other(b'SF-2')}/41".encode()),)
    )


def test_a_rerouted_copy_still_misplaced_is_refused_not_sent_round_again() -> None:
    headers = [(REROUTED_FROM, b"p.ticks/1/9")]
    decided = place("p.ticks", _other(b"SF-3"), 12, b"SF-3", headers, PARTITIONS)
    assert isinstance(decided, Refuse)
    assert decided.reason.startswith("misplaced after rerouting")
    assert "rerouted from p.ticks/1/9" in decided.reason
    assert f"murmur2 puts the key on {_own(b'SF-3')} of {PARTITIONS}" in decided.reason


@pytest.mark.parametrize(
    ("value", "label"),
    [
        (orjson.dumps({"source": "store-eu-1", "serial": "SF-1"}), "store-eu-1"),
        (orjson.dumps({"source": "партнёр feed/1"}), "________feed_1"),
        (orjson.dumps({"source": "x" * 100}), "x" * 64),
        (orjson.dumps({"source": ""}), "unknown"),
        (orjson.dumps({"source": 7}), "unknown"),
        (orjson.dumps({"serial": "SF-1"}), "unknown"),
        (orjson.dumps(["store-eu-1"]), "unknown"),
        (b"\xff\xfe not json", "unknown"),
        (b"", "unknown"),
        (None, "unknown"),
    ],
)
def test_the_source_label_is_the_events_source_made_safe(value: bytes | None, label: str) -> None:
    assert source_label(value) == label
