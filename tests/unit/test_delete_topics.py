"""Cleaning up a prefix: every topic under it goes, faust's own too, asked again while the broker still lists some."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from lifecycle import admin
from lifecycle.settings import Settings


class LaggingAdmin:
    """An admin client whose broker lists deleted topics until it has been asked `lag` times."""

    def __init__(self, topics: list[str], lag: int = 0) -> None:
        self.topics = topics
        self.lag = lag
        self.deleted: list[list[str]] = []
        self._ghosts: list[str] = []

    def list_topics(self) -> list[str]:
        if self.lag:
            self.lag -= 1
            return self.topics + self._ghosts
        self._ghosts = []
        return list(self.topics)

    def delete_topics(self, names: list[str], raise_errors: bool = True) -> None:
        self.deleted.append(names)
        self._ghosts = sorted({*self._ghosts, *(name for name in self.topics if name in names)})
        self.topics = [name for name in self.topics if name not in names]


@pytest.fixture
def settings() -> Settings:
    return Settings.from_env({"LIFECYCLE_TOPIC_PREFIX": "t1"})


def _use(monkeypatch: pytest.MonkeyPatch, client: LaggingAdmin) -> None:
    @contextmanager
    def admin_client(settings: Settings) -> Iterator[Any]:
        yield client

    monkeypatch.setattr(admin, "admin_client", admin_client)
    monkeypatch.setattr(time, "sleep", lambda seconds: None)


def test_every_topic_under_the_prefix_is_deleted_and_no_other(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    client = LaggingAdmin(["t1.purchases", "t1.processor-serial_to_state-changelog", "t12.purchases", "t.purchases"])
    _use(monkeypatch, client)

    assert admin.delete_topics(settings) == []
    assert client.deleted == [["t1.processor-serial_to_state-changelog", "t1.purchases"]]
    assert client.topics == ["t12.purchases", "t.purchases"]


def test_topics_the_broker_still_lists_are_deleted_again(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    client = LaggingAdmin(["t1.purchases"], lag=2)
    _use(monkeypatch, client)

    assert admin.delete_topics(settings) == []
    assert len(client.deleted) == 2


def test_topics_left_after_the_last_attempt_are_returned(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    client = LaggingAdmin(["t1.purchases", "t1.renewals"], lag=10)
    _use(monkeypatch, client)

    assert admin.delete_topics(settings, attempts=3) == ["t1.purchases", "t1.renewals"]
    assert len(client.deleted) == 3


def test_nothing_under_the_prefix_deletes_nothing(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    client = LaggingAdmin(["other.purchases"])
    _use(monkeypatch, client)

    assert admin.delete_topics(settings) == []
    assert client.deleted == []
