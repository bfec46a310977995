"""The one naming pattern of every consumer group and Kafka client id, `<prefix>.<component>`, and what each reads."""

from __future__ import annotations

from dataclasses import dataclass

from lifecycle.topics import (
    CASES,
    ENTITLEMENTS,
    HOLDS,
    NOTICES,
    PURCHASES,
    REGISTRATIONS,
    RELEASES,
    RENEWALS,
    TICKS,
    UPGRADE_GRANTS,
    UPGRADES,
    TopicSpec,
)


def kafka_name(prefix: str, component: str) -> str:
    """The consumer group or client id of a component under a topic prefix: `<prefix>.<component>`."""
    return f"{prefix}.{component}"


@dataclass(frozen=True)
class ConsumerGroup:
    """A consumer group: its component name, the process (`lifecycle` subcommand) in it, the topics it commits."""

    component: str
    process: str
    reads: tuple[TopicSpec, ...]

    def name(self, prefix: str) -> str:
        """The group id under a topic prefix (for the processor also faust's app id, which names its changelog)."""
        return kafka_name(prefix, self.component)


# The processor's agent reads these, co-partitioned with its serial table. Releases are not among them: every
# worker reads the whole releases topic outside the group (streams/releases.py), so the group never commits it.
PROCESSOR = ConsumerGroup(
    "processor", "worker", (PURCHASES, REGISTRATIONS, RENEWALS, UPGRADES, CASES, TICKS, UPGRADE_GRANTS)
)
STORE = ConsumerGroup("store", "store", (ENTITLEMENTS, RELEASES, HOLDS))
NOTIFIER = ConsumerGroup("notifier", "notifier", (NOTICES,))

# The processor's one faust table, and its changelog topic's suffix: faust names it `<app id>-<table>-changelog`,
# the app id being the processor's group. The longest topic name under a prefix (settings leave room for it).
PROCESSOR_TABLE = "serial_to_state"
CHANGELOG_SUFFIX = f"{PROCESSOR.component}-{PROCESSOR_TABLE}-changelog"

ALL_GROUPS: tuple[ConsumerGroup, ...] = (PROCESSOR, STORE, NOTIFIER)
