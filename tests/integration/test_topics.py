"""`lifecycle topics` against the real broker: create, check again, report differences, broker down."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest
from kafka import KafkaAdminClient
from kafka.admin import NewTopic

from lifecycle import admin
from lifecycle.cli import main
from lifecycle.kafka_config import kafka_python_config
from lifecycle.settings import Settings
from lifecycle.topics import ALL_TOPICS, PURCHASES


def lifecycle_topics(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "lifecycle.cli", "topics", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def removes_topics(settings: Settings) -> Iterator[Settings]:
    """The test's settings; its topics are deleted afterwards."""
    yield settings
    admin.delete_topics(settings)


def test_creates_every_topic_then_finds_them_matching(removes_topics: Settings, lifecycle_env: dict[str, str]) -> None:
    names = [spec.name(removes_topics.topic_prefix) for spec in ALL_TOPICS]

    first = lifecycle_topics(lifecycle_env)
    assert first.returncode == 0, first.stderr
    assert [line.split() for line in first.stdout.splitlines()[:-1]] == [["created", name] for name in names]

    for args in ((), ("--check",)):
        again = lifecycle_topics(lifecycle_env, *args)
        assert again.returncode == 0, again.stderr
        assert [line.split() for line in again.stdout.splitlines()[:-1]] == [["ok", name] for name in names]
        assert again.stdout.splitlines()[-1].startswith(f"all {len(names)} topics match")

    client = KafkaAdminClient(**kafka_python_config(removes_topics))
    try:
        described = {topic["name"]: len(topic["partitions"]) for topic in client.describe_topics(names)}
    finally:
        client.close()
    assert described == {spec.name(removes_topics.topic_prefix): spec.partitions for spec in ALL_TOPICS}


def test_check_creates_nothing_and_reports_missing_topics(
    removes_topics: Settings, lifecycle_env: dict[str, str]
) -> None:
    result = lifecycle_topics(lifecycle_env, "--check")
    assert result.returncode == 1
    assert all(line.startswith("missing ") for line in result.stdout.splitlines()[:-1])
    states = admin.ensure_topics(removes_topics, create=False)
    assert {state.status for state in states} == {"missing"}


def test_reports_a_topic_that_differs_from_its_definition(
    removes_topics: Settings, lifecycle_env: dict[str, str]
) -> None:
    wrong = NewTopic(PURCHASES.name(removes_topics.topic_prefix), 2, 1, topic_configs={"cleanup.policy": "compact"})
    client = KafkaAdminClient(**kafka_python_config(removes_topics))
    try:
        client.create_topics([wrong], wait_for_metadata=True)
    finally:
        client.close()

    result = lifecycle_topics(lifecycle_env)

    assert result.returncode == 1
    line = next(line for line in result.stdout.splitlines() if f" {wrong.name}:" in line)
    assert line.startswith("differs")
    assert "partitions 2, expected 6" in line
    assert "cleanup.policy=compact, expected delete" in line
    assert sum(line.startswith("created") for line in result.stdout.splitlines()) == len(ALL_TOPICS) - 1


def test_a_broker_that_does_not_answer_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("LIFECYCLE_KAFKA_BOOTSTRAP", f"127.0.0.1:{port}")
    monkeypatch.setattr(admin, "BOOTSTRAP_TIMEOUT_MS", 1000)

    assert main(["topics"]) == 2
    error = capsys.readouterr().err
    assert f"no Kafka broker answers at 127.0.0.1:{port}" in error
    assert "lifecycle stack up" in error
    assert "Traceback" not in error
