"""The processor bench waits for a new group's coordinator and leaves no topic of its prefix behind."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from aiokafka import errors as aiokafka_errors
from kafka import errors as kafka_errors

from lifecycle import admin as lifecycle_admin
from lifecycle.settings import Settings
from streams.coordinator import until_coordinator_ready, until_coordinator_ready_async


def test_a_coordinator_that_is_not_ready_yet_is_waited_for() -> None:
    answers: list[Exception | str] = [kafka_errors.CoordinatorNotAvailableError(), "ready"]

    def ask() -> str:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert until_coordinator_ready(ask) == "ready"


def test_the_async_wait_gives_up_after_its_time_and_other_errors_pass_at_once() -> None:
    calls: list[int] = []

    async def not_ready() -> None:
        calls.append(1)
        raise aiokafka_errors.NotCoordinatorError()

    with pytest.raises(aiokafka_errors.NotCoordinatorError):
        asyncio.run(until_coordinator_ready_async(not_ready, wait=0.3))
    assert len(calls) >= 2

    def broken() -> None:
        raise kafka_errors.TopicAuthorizationFailedError()

    with pytest.raises(kafka_errors.TopicAuthorizationFailedError):
        until_coordinator_ready(broken)


class Admin:
    def __init__(self, topics: list[str]) -> None:
        self.topics = topics
        self.deleted: list[list[str]] = []

    def list_topics(self) -> list[str]:
        return list(self.topics)

    def delete_topics(self, names: list[str], raise_errors: bool = True) -> None:
        self.deleted.append(names)
        self.topics = [name for name in self.topics if name not in names]


def test_every_topic_of_the_bench_prefix_is_deleted_faust_s_own_too(monkeypatch: pytest.MonkeyPatch) -> None:
    admin = Admin(
        [
            "bench1.purchases",
            "bench1.bench-passthrough",
            "bench1.processor-serial_to_state-changelog",
            "bench1.processor-__assignor-__leader",
            "bench12.purchases",  # another prefix
            "lifecycle.purchases",
        ]
    )

    @contextmanager
    def client(settings: Settings) -> Iterator[Any]:
        yield admin

    monkeypatch.setattr(lifecycle_admin, "admin_client", client)
    settings = Settings.from_env().replace(topic_prefix="bench1")
    assert lifecycle_admin.delete_topics(settings) == []  # what the bench calls when it ends
    assert admin.topics == ["bench12.purchases", "lifecycle.purchases"]
