"""The one definition of every Kafka topic: names, partitions, cleanup and retention."""

from __future__ import annotations

from dataclasses import dataclass, field

DAY_MS = 24 * 60 * 60 * 1000


@dataclass(frozen=True)
class TopicSpec:
    """A topic as the pipeline needs it to exist on the broker."""

    suffix: str
    partitions: int
    cleanup_policy: str = "delete"
    retention_ms: int = 7 * DAY_MS
    extra: dict[str, str] = field(default_factory=dict)

    def name(self, prefix: str) -> str:
        return f"{prefix}.{self.suffix}"

    def configs(self) -> dict[str, str]:
        configs = {"cleanup.policy": self.cleanup_policy, **self.extra}
        if self.cleanup_policy == "delete":
            configs["retention.ms"] = str(self.retention_ms)
        return configs


# Ingress topics, ticks, entitlements, notices and the internal upgrade-grant topic share one
# partition count, so the processor's serial-keyed table is co-partitioned with all of them.
PARTITIONS = 6

PURCHASES = TopicSpec("purchases", PARTITIONS, retention_ms=-1)  # purchases are kept forever
REGISTRATIONS = TopicSpec("registrations", PARTITIONS, retention_ms=365 * DAY_MS)
RENEWALS = TopicSpec("renewals", PARTITIONS, retention_ms=365 * DAY_MS)
UPGRADES = TopicSpec("upgrades", PARTITIONS, retention_ms=365 * DAY_MS)
CASES = TopicSpec("cases", PARTITIONS, retention_ms=365 * DAY_MS)  # support cases the CRM opened (R16)
RELEASES = TopicSpec("releases", 1, cleanup_policy="compact")
TICKS = TopicSpec("ticks", PARTITIONS, retention_ms=14 * DAY_MS)
UPGRADE_GRANTS = TopicSpec("upgrade-grants", PARTITIONS, retention_ms=365 * DAY_MS)
ENTITLEMENTS = TopicSpec(
    "entitlements", PARTITIONS, cleanup_policy="compact", extra={"min.compaction.lag.ms": str(DAY_MS)}
)
NOTICES = TopicSpec("notices", PARTITIONS, retention_ms=30 * DAY_MS)
CASE_DECISIONS = TopicSpec("case-decisions", PARTITIONS, retention_ms=30 * DAY_MS)  # what the CRM may do (R16)
# Events that wait for their serial's purchase, per serial (an empty list: none wait); the store keeps them.
HOLDS = TopicSpec("holds", PARTITIONS, cleanup_policy="compact")
DEADLETTER = TopicSpec("deadletter", 3, retention_ms=30 * DAY_MS)

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
