"""Waiting for the group coordinator: "not yet" is retried, anything else passes, and the wait gives up in time."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from aiokafka import errors as aiokafka_errors
from kafka import errors as kafka_errors

from lifecycle import coordinator
from lifecycle.coordinator import until_coordinator_ready, until_coordinator_ready_async, wait_for_group_coordinator
from lifecycle.groups import NOTIFIER, STORE
from lifecycle.settings import Settings


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


class Broker:
    """Admin clients of a broker whose coordinator answers each try from a script (an error, or offsets)."""

    def __init__(self, answers: list[Exception | None]) -> None:
        self.answers = answers
        self.clients = 0
        self.asked: list[list[str]] = []

    @contextmanager
    def admin_client(self, settings: Settings) -> Iterator[Broker]:
        self.clients += 1
        yield self

    def list_group_offsets(self, groups: list[str]) -> dict[str, dict[object, object]]:
        self.asked.append(groups)
        answer = self.answers.pop(0) if self.answers else None
        if answer is not None:
            raise answer
        return {group: {} for group in groups}


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The pauses the wait took, without taking them."""
    taken: list[float] = []
    monkeypatch.setattr(time, "sleep", taken.append)  # the one lifecycle.coordinator calls
    return taken


def test_the_wait_for_the_groups_retries_while_the_offsets_topic_loads(
    monkeypatch: pytest.MonkeyPatch, pauses: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    broker = Broker(
        [
            kafka_errors.CoordinatorNotAvailableError(),  # the offsets topic is being created
            kafka_errors.NotCoordinatorError(),  # its partition has no leader yet
            kafka_errors.CoordinatorLoadInProgressError(),  # the leader is loading it
            None,
        ]
    )
    monkeypatch.setattr(coordinator, "admin_client", broker.admin_client)
    settings = Settings.from_env().replace(topic_prefix="fresh")
    with caplog.at_level(logging.INFO):
        assert wait_for_group_coordinator(settings, (STORE, NOTIFIER)) is True
    assert broker.asked == [["fresh.store", "fresh.notifier"]] * 4
    assert broker.clients == 4  # a new client each try: one keeps a coordinator that said "not me"
    assert pauses == [0.2, 0.4, 0.8]
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]


def test_the_wait_goes_on_after_its_time_or_at_once_on_another_error(
    monkeypatch: pytest.MonkeyPatch, pauses: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    never = Broker([kafka_errors.NotCoordinatorError()] * 100)
    monkeypatch.setattr(coordinator, "admin_client", never.admin_client)
    settings = Settings.from_env()
    assert wait_for_group_coordinator(settings, (STORE,), wait=0.5) is False
    assert pauses == [0.2, 0.4]  # a third pause would end after the time is up
    assert "still not ready after 0.5 s (NotCoordinatorError)" in caplog.text

    refused = Broker([kafka_errors.GroupAuthorizationFailedError()])
    monkeypatch.setattr(coordinator, "admin_client", refused.admin_client)
    assert wait_for_group_coordinator(settings, (STORE,)) is False
    assert refused.clients == 1  # the consumer itself reports this one when it joins
