"""The dashboard's lag: each group under its one name, over the topics it reads (the processor's not releases)."""

from __future__ import annotations

from typing import Any

from kafka import TopicPartition
from kafka.structs import OffsetAndMetadata

from lifecycle.dashboard.kafka_view import KafkaSampler
from lifecycle.groups import ALL_GROUPS
from lifecycle.settings import Settings
from lifecycle.topics import ALL_TOPICS

END = 10
COMMITTED = 4


class FakeConsumer:
    """Every topic of the definition exists; every partition ends at END."""

    def topics(self) -> set[str]:
        return {spec.name("p") for spec in ALL_TOPICS}

    def partitions_for_topic(self, topic: str) -> set[int]:
        spec = next(spec for spec in ALL_TOPICS if spec.name("p") == topic)
        return set(range(spec.partitions))

    def end_offsets(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        return dict.fromkeys(partitions, END)


class FakeAdmin:
    """Each group committed COMMITTED on partition 0 of every topic it reads, and only there."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def list_group_offsets(self, groups: list[str]) -> dict[str, dict[TopicPartition, OffsetAndMetadata]]:
        self.asked = list(groups)
        reads = {group.name("p"): group.reads for group in ALL_GROUPS}
        return {
            name: {TopicPartition(spec.name("p"), 0): OffsetAndMetadata(COMMITTED, "", -1) for spec in reads[name]}
            for name in groups
        }

    def describe_groups(self, groups: list[str]) -> dict[str, dict[str, Any]]:
        return {name: {"group_state": "Empty", "members": []} for name in groups}


def sample() -> tuple[dict[str, Any], FakeAdmin]:
    sampler = KafkaSampler.__new__(KafkaSampler)
    admin = FakeAdmin()
    sampler.settings = Settings.from_env({"LIFECYCLE_TOPIC_PREFIX": "p"})
    sampler.admin, sampler.consumer = admin, FakeConsumer()
    sampler.history, sampler.tracks = {}, {}
    return sampler.sample(), admin


def test_the_dashboard_asks_for_every_group_by_its_one_name() -> None:
    result, admin = sample()
    assert admin.asked == ["p.processor", "p.store", "p.notifier"]
    assert [(row["group"], row["component"], row["process"]) for row in result["groups"]] == [
        ("p.processor", "processor", "worker"),
        ("p.store", "store", "store"),
        ("p.notifier", "notifier", "notifier"),
    ]


def test_each_group_lags_only_over_the_topics_it_reads() -> None:
    result, _ = sample()
    for group, row in zip(ALL_GROUPS, result["groups"], strict=True):
        assert {part["topic"] for part in row["partitions"]} == {spec.name("p") for spec in group.reads}
        partitions = sum(spec.partitions for spec in group.reads)
        assert row["total_lag"] == partitions * END - len(group.reads) * COMMITTED
    processor = result["groups"][0]
    assert "p.releases" not in {part["topic"] for part in processor["partitions"]}
