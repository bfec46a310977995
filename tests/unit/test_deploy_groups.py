"""Consumer groups are `<prefix>.<component>` everywhere: in the processes, the KafkaUser ACLs and every document."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from deploy_files import DEPLOY, k8s_documents

from lifecycle.groups import ALL_GROUPS, NOTIFIER, PROCESSOR, STORE, kafka_name
from lifecycle.topics import ALL_TOPICS, RELEASES

ROOT = DEPLOY.parent
# "group lifecycle-store", "(group `lifecycle.processor`)": a group named after the deployment's prefix.
GROUP_MENTION = re.compile(r"\bgroups? `?(lifecycle[.-][A-Za-z0-9_.-]*[A-Za-z0-9_])")
DOCUMENTS = sorted(
    [
        ROOT / "README.md",
        *(ROOT / "docs").glob("*.md"),
        *(path for path in DEPLOY.rglob("*") if path.suffix in {".md", ".yaml", ".yml", ".json"}),
    ]
)


def _prefix() -> str:
    (config,) = k8s_documents("ConfigMap")
    prefix: str = config["data"]["LIFECYCLE_TOPIC_PREFIX"]
    return prefix


def _acls() -> list[dict[str, Any]]:
    (user,) = k8s_documents("KafkaUser")
    acls: list[dict[str, Any]] = user["spec"]["authorization"]["acls"]
    return acls


def _matches(resource: dict[str, Any], kind: str, name: str) -> bool:
    if resource["type"] != kind:
        return False
    pattern: str = resource["name"]
    return name.startswith(pattern) if resource.get("patternType") == "prefix" else name == pattern


def _allowed(kind: str, name: str, operation: str) -> bool:
    return any(_matches(acl["resource"], kind, name) and operation in acl["operations"] for acl in _acls())


def _processor_topics(prefix: str) -> list[str]:
    """The topics faust creates for the processor, named after its app id (the group)."""
    return [f"{PROCESSOR.name(prefix)}-serial_to_state-changelog", f"{PROCESSOR.name(prefix)}-__assignor-__leader"]


def test_every_group_is_prefix_dot_component_and_reads_defined_topics() -> None:
    assert [group.name("p") for group in ALL_GROUPS] == ["p.processor", "p.store", "p.notifier"]
    assert all(group.name("p") == kafka_name("p", group.component) for group in ALL_GROUPS)
    defined = {spec.suffix for spec in ALL_TOPICS}
    assert all({spec.suffix for spec in group.reads} <= defined for group in ALL_GROUPS)
    assert RELEASES not in PROCESSOR.reads  # every worker reads releases outside the group: it never commits them


def test_the_processes_use_the_one_definition() -> None:
    from consumers.store.command import group_id as store_group
    from lifecycle.settings import Settings
    from streams.app import INPUTS
    from streams.app import group_id as processor_group

    settings = Settings.from_env({"LIFECYCLE_TOPIC_PREFIX": "p"})
    assert processor_group(settings) == PROCESSOR.name("p")
    assert store_group(settings) == STORE.name("p")
    assert PROCESSOR.reads == INPUTS


def test_the_notifier_consumes_notices_in_its_group_with_its_client_id(monkeypatch: pytest.MonkeyPatch) -> None:
    import consumers.notifier.app as notifier_app
    from lifecycle.settings import Settings

    made: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    class Recorder:
        def __init__(self, *topics: Any, **options: Any) -> None:
            made.append((topics, options))

    monkeypatch.setattr(notifier_app, "KafkaConsumer", Recorder)
    monkeypatch.setattr(notifier_app, "KafkaProducer", Recorder)
    notifier_app.Notifier(Settings.from_env({"LIFECYCLE_TOPIC_PREFIX": "p", "LIFECYCLE_HOME": "/nonexistent"}))
    (_, producer), (consumer_topics, consumer) = made
    assert consumer_topics == ("p.notices",)
    assert (consumer["group_id"], consumer["client_id"], producer["client_id"]) == ("p.notifier",) * 3
    assert NOTIFIER.reads[0].name("p") == "p.notices"


def test_the_kafka_user_may_use_every_group_and_topic_of_the_deployment() -> None:
    prefix = _prefix()
    for group in ALL_GROUPS:
        assert _allowed("group", group.name(prefix), "Read"), group.name(prefix)
        assert _allowed("group", group.name(prefix), "Describe"), group.name(prefix)
    for name in [spec.name(prefix) for spec in ALL_TOPICS] + _processor_topics(prefix):
        for operation in ("Read", "Write", "Describe", "Create"):
            assert _allowed("topic", name, operation), (name, operation)


def test_every_acl_is_needed() -> None:
    prefix = _prefix()
    groups = [group.name(prefix) for group in ALL_GROUPS]
    topics = [spec.name(prefix) for spec in ALL_TOPICS] + _processor_topics(prefix)
    for acl in _acls():
        names = groups if acl["resource"]["type"] == "group" else topics
        assert any(_matches(acl["resource"], acl["resource"]["type"], name) for name in names), acl


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_group_a_document_names_is_a_real_group(path: Path) -> None:
    known = {group.name(_prefix()) for group in ALL_GROUPS}
    named = set(GROUP_MENTION.findall(path.read_text()))
    assert named <= known, f"{path.relative_to(ROOT)} names {sorted(named - known)}; groups are {sorted(known)}"


def test_compose_names_the_group_of_each_consuming_service() -> None:
    text = (DEPLOY / "compose.yaml").read_text()
    for group in ALL_GROUPS:
        assert re.search(rf"^  {group.process}:\s+# group {re.escape(group.name('lifecycle'))}$", text, re.M), group


def test_the_readme_table_lists_every_group_with_its_process_and_topics() -> None:
    text = (ROOT / "README.md").read_text()
    table = text[text.index("### Consumer groups") :].split("\n\n")[2]
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in table.splitlines()[2:]]
    expected = [
        [f"`<prefix>.{group.component}`", f"`lifecycle {group.process}`", ", ".join(t.suffix for t in group.reads)]
        for group in ALL_GROUPS
    ]
    assert rows == expected
