"""Each process has its own KafkaUser, allowed exactly what its code does on the broker, and mounts only its own."""

from __future__ import annotations

import argparse
import importlib
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from deploy_files import effective, granted, k8s_documents, k8s_secret_files, kafka_users

from lifecycle.groups import ALL_GROUPS, PROCESSOR
from lifecycle.metrics import COMPONENT_PORT_OFFSETS
from lifecycle.settings import SETTINGS, Settings
from lifecycle.topics import ALL_TOPICS, DEADLETTER, RELEASES, TICKS, TopicSpec

PROCESSES = tuple(COMPONENT_PORT_OFFSETS)
# Each process's `run` and its arguments: run up to the topic check every process makes at start.
RUNS: dict[str, tuple[str, argparse.Namespace]] = {
    "worker": ("streams.command", argparse.Namespace(loglevel="info")),
    "store": ("consumers.store.command", argparse.Namespace(batch_size=None)),
    "scheduler": ("consumers.scheduler.command", argparse.Namespace(once=False, as_of=None, since=None, dry_run=False)),
    "notifier": ("consumers.notifier.command", argparse.Namespace(templates=None, max_backoff=30.0)),
    "dashboard": ("lifecycle.dashboard.command", argparse.Namespace(interval=3.0)),
}
Needs = dict[tuple[str, str], set[str]]  # (resource type, name) -> operations


class Checked(Exception):
    """Raised where a process would check its topics on the broker: it got that far."""


def _prefix() -> str:
    (config,) = k8s_documents("ConfigMap")
    prefix: str = config["data"]["LIFECYCLE_TOPIC_PREFIX"]
    return prefix


def _processor_topics(prefix: str) -> list[str]:
    """The worker's own topics, named after its group: its table's changelog and faust's assignor topic."""
    from streams.changelog import CHANGELOG

    return [CHANGELOG.name(prefix), f"{PROCESSOR.name(prefix)}-__assignor-__leader"]


def _checked_at_start(process: str, monkeypatch: pytest.MonkeyPatch, home: Path) -> list[TopicSpec]:
    """The topics a process requires at start (Describe and DescribeConfigs on each), from its own `run`."""
    from consumers.notifier.render import TEMPLATES_DIR

    for setting in SETTINGS:
        monkeypatch.delenv(setting.env, raising=False)
    monkeypatch.setenv("LIFECYCLE_TOPIC_PREFIX", _prefix())
    monkeypatch.setenv("LIFECYCLE_HOME", str(home))
    monkeypatch.setattr("consumers.notifier.ledger.PostgresLedger", _NoLedger)
    checked: list[TopicSpec] = []

    def require_topics(settings: Settings, specs: Iterable[TopicSpec]) -> None:
        checked.extend(specs)
        raise Checked

    module_name, args = RUNS[process]
    module = importlib.import_module(module_name)
    monkeypatch.setattr(module, "require_topics", require_topics)
    if process == "notifier":
        args = argparse.Namespace(**{**vars(args), "templates": TEMPLATES_DIR})
    with pytest.raises(Checked):
        module.run(args)
    return checked


class _NoLedger:
    """The notifier's ledger, without PostgreSQL."""

    def __init__(self, dsn: str) -> None: ...

    def check(self, _setting: str = "") -> None: ...

    def close(self) -> None: ...


def _dashboard_tails(monkeypatch: pytest.MonkeyPatch, prefix: str) -> set[str]:
    """The topics the dashboard keeps the newest records of (every TopicTail it has)."""
    import lifecycle.dashboard.app  # noqa: F401  (imports every reader)
    from lifecycle.dashboard import tail

    monkeypatch.setattr(tail, "KafkaConsumer", lambda **options: None)
    settings = Settings.from_env({"LIFECYCLE_TOPIC_PREFIX": prefix, "LIFECYCLE_HOME": "/nonexistent"})
    return {reader(settings).topic for reader in tail.TopicTail.__subclasses__()}  # type: ignore[call-arg]


def _needs(monkeypatch: pytest.MonkeyPatch, home: Path) -> dict[str, Needs]:
    """What each process does on the broker, from the code's own definitions."""
    from streams.app import INPUTS, OUTPUTS

    prefix = _prefix()
    needs: dict[str, Needs] = {process: defaultdict(set) for process in PROCESSES}

    def allow(process: str, kind: str, names: Iterable[str | TopicSpec], *operations: str) -> None:
        for name in names:
            key = (kind, name.name(prefix) if isinstance(name, TopicSpec) else name)
            needs[process][key].update(operations)

    for process in PROCESSES:
        allow(process, "topic", _checked_at_start(process, monkeypatch, home), "Describe", "DescribeConfigs")
    for group in ALL_GROUPS:  # a group's process joins it and reads the topics it commits
        allow(group.process, "group", [group.name(prefix)], "Read")
        allow(group.process, "topic", group.reads, "Read")
    allow("worker", "topic", [RELEASES], "Read")  # every worker reads the whole topic outside its group
    allow("worker", "topic", OUTPUTS, "Write")
    allow("worker", "topic", INPUTS, "Write")  # misplaced input records go on to their partition (streams.rerouting)
    allow("worker", "topic", _processor_topics(prefix), "Read", "Write", "Create")
    allow("store", "topic", [DEADLETTER], "Write")
    allow("notifier", "topic", [DEADLETTER], "Write")
    allow("scheduler", "topic", [TICKS], "Write")
    allow("dashboard", "topic", _dashboard_tails(monkeypatch, prefix), "Read")
    allow("dashboard", "group", [group.name(prefix) for group in ALL_GROUPS], "Describe")  # lag and members
    return needs


def _resources(prefix: str) -> list[tuple[str, str]]:
    """Every topic and group the pipeline has, and a new one of each (which no user may touch yet)."""
    topics = [spec.name(prefix) for spec in ALL_TOPICS] + _processor_topics(prefix) + [f"{prefix}.a-new-topic"]
    groups = [group.name(prefix) for group in ALL_GROUPS] + [f"{prefix}.a-new-group"]
    return [("topic", name) for name in topics] + [("group", name) for name in groups]


def test_one_kafka_user_per_process() -> None:
    assert sorted(kafka_users()) == sorted(f"{_prefix()}-{process}" for process in PROCESSES)


@pytest.mark.parametrize("process", PROCESSES)
def test_each_user_may_do_exactly_what_its_process_does(
    process: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    needs = _needs(monkeypatch, tmp_path)[process]
    acls = kafka_users()[f"{_prefix()}-{process}"]
    for kind, name in _resources(_prefix()):
        expected = effective(needs.get((kind, name), set()))
        assert granted(acls, kind, name) == expected, (process, kind, name)


def test_every_topic_is_read_or_written_by_a_process(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    used = {
        name
        for needs in _needs(monkeypatch, tmp_path).values()
        for (kind, name), operations in needs.items()
        if kind == "topic" and operations & {"Read", "Write"}
    }
    assert {spec.name(_prefix()) for spec in ALL_TOPICS} <= used


def test_acls_name_topics_and_groups_only_and_no_wildcard_but_the_workers_own_topics() -> None:
    prefix = _prefix()
    for user, acls in kafka_users().items():
        for acl in acls:
            resource = acl["resource"]
            assert resource["type"] in {"topic", "group"}, (user, resource)
            assert "All" not in acl["operations"], (user, acl)
            if resource.get("patternType") == "prefix":
                assert (user, resource) == (f"{prefix}-worker", {**resource, "name": f"{PROCESSOR.name(prefix)}-"})


def _secret_refs(spec: dict[str, Any]) -> set[str]:
    """Every Secret a pod spec takes a value or a volume from."""
    refs = {volume["secret"]["secretName"] for volume in spec.get("volumes", []) if "secret" in volume}
    for volume in spec.get("volumes", []):  # a projected volume's Secrets, each its items (k8s_volume_files)
        refs.update(source["secret"]["name"] for source in volume.get("projected", {}).get("sources", []))
    for container in spec["containers"] + spec.get("initContainers", []):
        for variable in container.get("env", []):
            if "secretKeyRef" in variable.get("valueFrom", {}):
                refs.add(variable["valueFrom"]["secretKeyRef"]["name"])
        refs.update(source["secretRef"]["name"] for source in container.get("envFrom", []) if "secretRef" in source)
    return refs


def test_each_deployment_connects_as_its_own_user_and_mounts_no_other_users_secret() -> None:
    users = set(kafka_users())
    for doc in k8s_documents("Deployment") + k8s_documents("Job"):
        spec = doc["spec"]["template"]["spec"]
        component = doc["metadata"].get("labels", {}).get("app.kubernetes.io/component")
        own = {f"{_prefix()}-{component}"} if component in PROCESSES else set()
        assert _secret_refs(spec) & users == own, doc["metadata"]["name"]
        env = {variable["name"]: variable for variable in spec["containers"][0].get("env", [])}
        for user in own:
            assert env["LIFECYCLE_KAFKA_SASL_USERNAME"]["value"] == user, doc["metadata"]["name"]
            assert "LIFECYCLE_KAFKA_SASL_PASSWORD" not in env  # its file: LIFECYCLE_KAFKA_SASL_PASSWORD_FILE
            password = k8s_secret_files(spec, spec["containers"][0])["LIFECYCLE_KAFKA_SASL_PASSWORD"]
            assert password == (user, "password"), doc["metadata"]["name"]
    (config,) = k8s_documents("ConfigMap")
    assert "LIFECYCLE_KAFKA_SASL_USERNAME" not in config["data"]  # one name for all would be the wrong one for most


def test_the_dashboard_writes_nothing_so_its_redrive_stays_off() -> None:
    (config,) = k8s_documents("ConfigMap")
    (dashboard,) = [doc for doc in k8s_documents("Deployment") if doc["metadata"]["name"].endswith("-dashboard")]
    env = {variable["name"] for variable in dashboard["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert not {"LIFECYCLE_DASHBOARD_OPERATOR_TOKEN", "LIFECYCLE_DASHBOARD_OPERATOR_TOKEN_FILE"} & (
        env | set(config["data"])
    )
    acls = kafka_users()[f"{_prefix()}-dashboard"]
    assert not any("Write" in granted(acls, kind, name) for kind, name in _resources(_prefix()))
