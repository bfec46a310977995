"""Consumer groups are `<prefix>.<component>` everywhere: in the processes, the KafkaUsers' ACLs and every document."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from deploy_files import DEPLOY, granted, k8s_documents, kafka_users

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


def test_each_group_and_the_topics_it_commits_are_read_by_its_own_process_user_only() -> None:
    prefix = _prefix()
    users = kafka_users()
    for group in ALL_GROUPS:
        own = f"{prefix}-{group.process}"  # the KafkaUser (and Secret) of the process in the group
        readers = {user for user, acls in users.items() if "Read" in granted(acls, "group", group.name(prefix))}
        assert readers == {own}, (group.name(prefix), readers)
        for spec in group.reads:
            assert "Read" in granted(users[own], "topic", spec.name(prefix)), (own, spec.suffix)


def test_only_the_worker_may_create_topics_and_only_its_own() -> None:
    prefix = _prefix()
    names = [spec.name(prefix) for spec in ALL_TOPICS] + _processor_topics(prefix) + [f"{prefix}.a-new-topic"]
    for user, acls in kafka_users().items():
        creates = {name for name in names if "Create" in granted(acls, "topic", name)}
        assert creates == (set(_processor_topics(prefix)) if user == f"{prefix}-worker" else set()), user


def test_every_acl_is_needed() -> None:
    prefix = _prefix()
    groups = [group.name(prefix) for group in ALL_GROUPS]
    topics = [spec.name(prefix) for spec in ALL_TOPICS] + _processor_topics(prefix)
    for user, acls in kafka_users().items():
        for acl in acls:
            kind = acl["resource"]["type"]
            names = groups if kind == "group" else topics
            assert any(granted([acl], kind, name) for name in names), (user, acl)


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
