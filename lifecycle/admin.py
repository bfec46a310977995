"""`lifecycle topics`: create the pipeline's topics from lifecycle/topics.py, or check that they match it."""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic
from kafka.errors import KafkaError

from lifecycle.errors import UserError
from lifecycle.groups import kafka_name
from lifecycle.kafka_config import kafka_python_config, quiet_kafka
from lifecycle.kafka_diagnosis import explain_bootstrap_failure
from lifecycle.settings import Settings
from lifecycle.topics import ALL_TOPICS, TopicSpec

log = logging.getLogger(__name__)

BOOTSTRAP_TIMEOUT_MS = 10_000
TOPIC_ALREADY_EXISTS = 36


@dataclass(frozen=True)
class TopicState:
    """How one topic on the broker compares with its definition."""

    name: str
    status: str  # "created", "ok", "missing" or "differs"
    differences: tuple[str, ...] = ()

    @property
    def matches(self) -> bool:
        return self.status in {"created", "ok"}

    def describe(self) -> str:
        detail = f": {'; '.join(self.differences)}" if self.differences else ""
        return f"{self.status:8} {self.name}{detail}"


@contextmanager
def admin_client(settings: Settings) -> Iterator[KafkaAdminClient]:
    """A connected admin client; a failed bootstrap is a UserError naming the setting to check."""
    with quiet_kafka():
        try:
            client = KafkaAdminClient(
                client_id=kafka_name(settings.topic_prefix, "admin"),
                bootstrap_timeout_ms=BOOTSTRAP_TIMEOUT_MS,
                **kafka_python_config(settings),
            )
        except KafkaError as exc:
            raise UserError(explain_bootstrap_failure(settings, exc)) from None
        try:
            yield client
        finally:
            client.close()


def _differences(spec: TopicSpec, partitions: int, configs: dict[str, str]) -> tuple[str, ...]:
    found = []
    if partitions != spec.partitions:
        found.append(f"partitions {partitions}, expected {spec.partitions}")
    for key, expected in spec.configs().items():
        actual = configs.get(key)
        if actual != expected:
            found.append(f"{key}={actual}, expected {expected}")
    return tuple(found)


def _current_configs(client: KafkaAdminClient, names: list[str]) -> dict[str, dict[str, str]]:
    if not names:
        return {}
    resources = [ConfigResource(ConfigResourceType.TOPIC, name) for name in names]
    described: dict[str, Any] = client.describe_configs(resources, config_filter="all")["topic"]
    return {name: {key: entry["value"] for key, entry in entries.items()} for name, entries in described.items()}


def _compare(client: KafkaAdminClient, specs: dict[str, TopicSpec], names: list[str]) -> list[TopicState]:
    partitions = {topic["name"]: len(topic["partitions"]) for topic in client.describe_topics(names)} if names else {}
    configs = _current_configs(client, names)
    states = []
    for name in names:
        differences = _differences(specs[name], partitions.get(name, 0), configs.get(name, {}))
        states.append(TopicState(name, "differs" if differences else "ok", differences))
    return states


def _create(client: KafkaAdminClient, specs: list[TopicSpec], prefix: str) -> list[str]:
    new = [NewTopic(spec.name(prefix), spec.partitions, -1, topic_configs=spec.configs()) for spec in specs]
    try:
        response = client.create_topics(new, raise_errors=False, wait_for_metadata=True)
    except KafkaError as exc:  # no answer, or topics never ready (names the broker refused: an invalid prefix)
        raise UserError(
            f"could not create the topics under prefix {prefix!r}: {exc}; check LIFECYCLE_TOPIC_PREFIX and the broker"
        ) from None
    created, problems = [], []
    for topic in response["topics"]:
        if topic["error_code"] == 0:
            created.append(topic["name"])
        elif topic["error_code"] != TOPIC_ALREADY_EXISTS:  # created meanwhile by someone else: compared below
            problems.append(f"{topic['name']}: {topic['error_message'] or topic['error_code']}")
    if problems:
        raise UserError(f"could not create topics: {'; '.join(problems)}")
    return created


def ensure_topics(settings: Settings, create: bool = True) -> list[TopicState]:
    """Create the missing topics (unless `create` is false) and compare the others with their definition."""
    specs = {spec.name(settings.topic_prefix): spec for spec in ALL_TOPICS}
    with admin_client(settings) as client:
        existing = set(client.list_topics())
        missing = [spec for name, spec in specs.items() if name not in existing]
        created = set(_create(client, missing, settings.topic_prefix)) if create and missing else set()
        present = [name for name in specs if name in existing or (create and name not in created)]
        compared = {state.name: state for state in _compare(client, specs, present)}
    states = []
    for name in specs:
        if name in created:
            states.append(TopicState(name, "created"))
        elif name in compared:
            states.append(compared[name])
        else:
            states.append(TopicState(name, "missing"))
    return states


def require_topics(settings: Settings, specs: Iterable[TopicSpec]) -> None:
    """What every process does at start: stop with one line unless its topics exist with their partition counts."""
    wanted = {spec.name(settings.topic_prefix): spec for spec in specs}
    with admin_client(settings) as client:
        existing = set(client.list_topics())
        missing = [name for name in wanted if name not in existing]
        if missing:
            which = f"topics {', '.join(missing)} do not" if len(missing) > 1 else f"topic {missing[0]} does not"
            raise UserError(
                f"{which} exist; create {'them' if len(missing) > 1 else 'it'} with `lifecycle topics` "
                f"(or check LIFECYCLE_TOPIC_PREFIX={settings.topic_prefix})"
            )
        states = _compare(client, wanted, list(wanted))
    wrong = [state.describe() for state in states if any(d.startswith("partitions") for d in state.differences)]
    if wrong:
        raise UserError(f"topics do not match their definition: {'; '.join(wrong)}; see `lifecycle topics --check`")
    for state in states:
        if not state.matches:
            log.warning("topic %s", state.describe())


def delete_topics(settings: Settings, attempts: int = 5) -> list[str]:
    """Delete every topic under the settings' prefix: the definition's and faust's own (changelogs, the assignor's).

    Cleans up after tests and benchmarks; asks again, up to `attempts` times, while the broker still lists some.
    Returns the topics still there after the last attempt.
    """
    prefix = f"{settings.topic_prefix}."
    left: list[str] = []
    with admin_client(settings) as client:
        for attempt in range(attempts):
            left = sorted(name for name in client.list_topics() if name.startswith(prefix))
            if not left:
                return []
            if attempt:
                time.sleep(1.0)  # deletion is asynchronous on the broker
            client.delete_topics(left, raise_errors=False)
    log.warning("topics left behind under %s: %s", prefix, ", ".join(left))
    return left


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `lifecycle topics`."""
    parser.add_argument(
        "--check", action="store_true", help="only compare the topics on the broker with the definition; create none"
    )


def run(args: argparse.Namespace) -> int:
    """Create or check the topics; exit 1 when any topic is missing or differs from its definition."""
    settings = Settings.from_env()
    states = ensure_topics(settings, create=not args.check)
    for state in states:
        print(state.describe())
    mismatched = [state for state in states if not state.matches]
    brokers = ",".join(settings.kafka_bootstrap)
    if mismatched:
        print(f"{len(mismatched)} of {len(states)} topics missing or different on {brokers}")
        return 1
    print(f"all {len(states)} topics match the definition on {brokers}")
    return 0
