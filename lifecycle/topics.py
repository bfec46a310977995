"""The one definition of every Kafka topic: names, partitions, cleanup, retention and the message size limit."""

from __future__ import annotations

from dataclasses import dataclass, field

DAY_MS = 24 * 60 * 60 * 1000
# Every topic's max.message.bytes (Kafka's own default, set explicitly so no broker setting changes it), and
# the most any producer of the pipeline sends in one record batch: the faust producer's max request size too.
MAX_MESSAGE_BYTES = 1_048_588
# Room left for the record and batch headers around a key and value (aiokafka counts them in its size check).
RECORD_OVERHEAD_BYTES = 512


@dataclass(frozen=True)
class TopicSpec:
    """A topic as the pipeline needs it to exist on the broker."""

    suffix: str
    partitions: int
    cleanup_policy: str = "delete"
    retention_ms: int = 7 * DAY_MS
    extra: dict[str, str] = field(default_factory=dict)
    key: str = "serial"  # what each record's key holds (schemas/asyncapi.json says it to consumers)

    def name(self, prefix: str) -> str:
        return f"{prefix}.{self.suffix}"

    def configs(self) -> dict[str, str]:
        configs = {"cleanup.policy": self.cleanup_policy, "max.message.bytes": str(MAX_MESSAGE_BYTES), **self.extra}
        if self.cleanup_policy == "delete":
            configs["retention.ms"] = str(self.retention_ms)
        return configs


def fits_in_a_message(key: bytes | None, value: bytes | None) -> bool:
    """Whether a record with this key and value stays below every topic's (and the producers') size limit."""
    return len(key or b"") + len(value or b"") + RECORD_OVERHEAD_BYTES <= MAX_MESSAGE_BYTES


# Ingress topics, ticks, entitlements, notices and the internal upgrade-grant topic share one
# partition count, so the processor's serial-keyed table is co-partitioned with all of them.
PARTITIONS = 6

PURCHASES = TopicSpec("purchases", PARTITIONS, retention_ms=-1)  # purchases are kept forever
REGISTRATIONS = TopicSpec("registrations", PARTITIONS, retention_ms=365 * DAY_MS)
RENEWALS = TopicSpec("renewals", PARTITIONS, retention_ms=365 * DAY_MS)
UPGRADES = TopicSpec("upgrades", PARTITIONS, retention_ms=365 * DAY_MS)
CASES = TopicSpec("cases", PARTITIONS, retention_ms=365 * DAY_MS)  # support cases the CRM opened (R16)
RELEASES = TopicSpec("releases", 1, cleanup_policy="compact", key="family/version")
TICKS = TopicSpec("ticks", PARTITIONS, retention_ms=14 * DAY_MS)
UPGRADE_GRANTS = TopicSpec("upgrade-grants", PARTITIONS, retention_ms=365 * DAY_MS)
ENTITLEMENTS = TopicSpec(
    "entitlements", PARTITIONS, cleanup_policy="compact", extra={"min.compaction.lag.ms": str(DAY_MS)}
)
NOTICES = TopicSpec("notices", PARTITIONS, retention_ms=30 * DAY_MS)
CASE_DECISIONS = TopicSpec("case-decisions", PARTITIONS, retention_ms=30 * DAY_MS)  # what the CRM may do (R16)
# Events that wait for their serial's purchase, per serial (an empty list: none wait); the store keeps them.
HOLDS = TopicSpec("holds", PARTITIONS, cleanup_policy="compact")
DEADLETTER = TopicSpec("deadletter", 3, retention_ms=30 * DAY_MS, key="the refused input's key")

ALL_TOPICS: tuple[TopicSpec, ...] = (
    PURCHASES,
    REGISTRATIONS,
    RENEWALS,
    UPGRADES,
    CASES,
    RELEASES,
    TICKS,
    UPGRADE_GRANTS,
    ENTITLEMENTS,
    NOTICES,
    CASE_DECISIONS,
    HOLDS,
    DEADLETTER,
)

# Which topic each inbound event type is published to.
TOPIC_BY_EVENT_TYPE: dict[str, TopicSpec] = {
    "purchase": PURCHASES,
    "registration": REGISTRATIONS,
    "renewal": RENEWALS,
    "upgrade": UPGRADES,
    "case_opened": CASES,
    "release": RELEASES,
    "tick": TICKS,
}
