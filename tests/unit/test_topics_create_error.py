"""`lifecycle topics` whose broker does not create the topics in time (names it refuses): one line, no traceback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from kafka.errors import KafkaTimeoutError

from lifecycle import admin
from lifecycle.cli import main
from lifecycle.settings import Settings

NOT_READY = "Topics not ready after 10000ms: {'t1.purchases': 'InvalidTopicError'}"


class RefusingAdmin:
    """An admin client whose broker has no topics, and whose topics are never ready once asked for."""

    def list_topics(self) -> list[str]:
        return []

    def create_topics(self, new: list[Any], raise_errors: bool, wait_for_metadata: bool) -> None:
        raise KafkaTimeoutError(NOT_READY)


def test_topics_never_ready_are_one_line_naming_the_prefix(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    @contextmanager
    def admin_client(_settings: Settings) -> Iterator[Any]:
        yield RefusingAdmin()

    monkeypatch.setattr(admin, "admin_client", admin_client)
    monkeypatch.setenv("LIFECYCLE_TOPIC_PREFIX", "t1")
    assert main(["topics"]) == 2
    assert capsys.readouterr() == (
        "",
        f"lifecycle topics: could not create the topics under prefix 't1': KafkaTimeoutError: {NOT_READY}; "
        "check LIFECYCLE_TOPIC_PREFIX and the broker\n",
    )
