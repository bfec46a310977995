"""Topics, end offsets, message rates and consumer-group lag, sampled from the broker with kafka-python."""

from __future__ import annotations

import logging
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

from lifecycle import metrics
from lifecycle.groups import ALL_GROUPS, ConsumerGroup, kafka_name
from lifecycle.kafka_config import kafka_python_config
from lifecycle.settings import Settings
from lifecycle.topics import ALL_TOPICS, TopicSpec

HISTORY_SECONDS = 600  # message rates and the chart cover the last ten minutes


class _FaustMetadataWarning(logging.Filter):
    """Drops kafka-python's "Unable to decode member_metadata" warning, which dumps faust's groups as bytes."""

    # faust's partition assignor labels its subscription version 4 but encodes it in aiokafka's version-0
    # layout (topics, user data); kafka-python 3 then reads a version-4 subscription's extra fields, fails,
    # and logs the whole group, member metadata bytes included, on every describe_groups: every sample,
    # every 3 s. The dashboard uses only the group's state and member count, which decode fine.
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Unable to decode member_metadata")


logging.getLogger("kafka.admin._groups").addFilter(_FaustMetadataWarning())


@dataclass
class GroupTrack:
    """What the sampler remembers about one group between samples."""

    committed_total: int = -1
    moved_at: float = field(default_factory=time.time)


class KafkaSampler:
    """Samples end offsets and committed offsets; keeps a short history for rates and stall detection."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        config = kafka_python_config(settings)
        client_id = kafka_name(settings.topic_prefix, "dashboard")
        self.admin = KafkaAdminClient(client_id=client_id, **config)
        self.consumer = KafkaConsumer(enable_auto_commit=False, group_id=None, client_id=client_id, **config)
        self.history: dict[str, deque[tuple[float, int]]] = {}
        self.tracks: dict[str, GroupTrack] = {}

    def close(self) -> None:
        """Close both clients."""
        self.consumer.close()
        self.admin.close()

    def partitions(self, topic: str) -> list[TopicPartition]:
        """The partitions of a topic as the broker knows them (empty when it does not exist)."""
        found = self.consumer.partitions_for_topic(topic) or set()
        return [TopicPartition(topic, partition) for partition in sorted(found)]

    def end_offsets(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        """The next offset of every partition."""
        return dict(self.consumer.end_offsets(partitions)) if partitions else {}

    def sample(self) -> dict[str, Any]:
        """One consistent sample: topics with rates, groups with lag and stall warnings."""
        now = time.time()
        existing = self.consumer.topics()
        ends: dict[TopicPartition, int] = {}
        topics = []
        for spec in ALL_TOPICS:
            name = spec.name(self.settings.topic_prefix)
            parts = self.partitions(name) if name in existing else []
            offsets = self.end_offsets(parts)
            ends.update(offsets)
            topics.append(self._topic_row(name, spec, offsets, now))
        names = [group.name(self.settings.topic_prefix) for group in ALL_GROUPS]
        committed = self.admin.list_group_offsets(names)
        described = self.admin.describe_groups(names)
        groups = [
            self._group_row(group, name, committed.get(name, {}), described[name], ends, now)
            for group, name in zip(ALL_GROUPS, names, strict=True)
        ]
        return {"sampled_at": now, "topics": topics, "groups": groups}

    def _topic_row(self, name: str, spec: TopicSpec, offsets: dict[TopicPartition, int], now: float) -> dict[str, Any]:
        total = sum(offsets.values())
        history = self.history.setdefault(name, deque())
        history.append((now, total))
        while history and history[0][0] < now - HISTORY_SECONDS:
            history.popleft()
        metrics.TOPIC_END_OFFSET.labels(name).set(total)
        return {
            "name": name,
            "exists": bool(offsets),
            "partitions": len(offsets),
            "expected_partitions": spec.partitions,
            "end_offset": total,
            "rate_per_s": _rate(history, now, 60.0),
            "history": [[round(t, 1), value] for t, value in history],
        }

    def _group_row(
        self,
        spec: ConsumerGroup,
        group: str,
        offsets: dict[TopicPartition, Any],
        described: dict[str, Any],
        ends: dict[TopicPartition, int],
        now: float,
    ) -> dict[str, Any]:
        """One group's lag over the topics it reads (uncommitted partitions count from offset 0)."""
        committed: dict[TopicPartition, int] = {tp: meta.offset for tp, meta in offsets.items()}
        names = {topic.name(self.settings.topic_prefix) for topic in spec.reads}
        rows = []
        for tp in sorted((tp for tp in ends if tp.topic in names), key=lambda tp: (tp.topic, tp.partition)):
            done = committed.get(tp)
            lag = ends[tp] - (done if done is not None and done >= 0 else 0)
            rows.append({"topic": tp.topic, "partition": tp.partition, "committed": done, "end": ends[tp], "lag": lag})
        total_lag = sum(row["lag"] for row in rows)
        for topic in names:
            metrics.CONSUMER_LAG.labels(group, topic).set(sum(row["lag"] for row in rows if row["topic"] == topic))
        track = self.tracks.setdefault(group, GroupTrack())
        committed_total = sum(offset for offset in committed.values() if offset >= 0)
        if committed_total != track.committed_total or total_lag == 0:
            track.committed_total, track.moved_at = committed_total, now
        return {
            "group": group,
            "component": spec.component,
            "process": spec.process,
            "state": described.get("group_state", "Unknown"),
            "members": len(described.get("members") or []),
            "total_lag": total_lag,
            "partitions": rows,
            # Whether the group keeps up is judged per partition over a window (lag_status), not here.
            "last_movement_at": round(track.moved_at, 1),
        }


def _rate(history: deque[tuple[float, int]], now: float, window: float) -> float:
    """Messages per second over the last `window` seconds of the history."""
    recent = [(t, value) for t, value in history if t >= now - window]
    if len(recent) < 2 or recent[-1][0] == recent[0][0]:
        return 0.0
    return round((recent[-1][1] - recent[0][1]) / (recent[-1][0] - recent[0][0]), 2)
