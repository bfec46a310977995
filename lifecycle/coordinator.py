"""Wait for a consumer group's coordinator: on a fresh broker or for a new group it answers "not yet" for a moment."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from aiokafka import errors as aiokafka_errors
from kafka import errors as kafka_errors

from lifecycle.admin import admin_client
from lifecycle.groups import ConsumerGroup
from lifecycle.settings import Settings

log = logging.getLogger(__name__)

# What kafka-python and aiokafka raise while the coordinator is not ready: "not yet", never "failed".
COORDINATOR_NOT_READY: tuple[type[Exception], ...] = (
    kafka_errors.CoordinatorNotAvailableError,
    kafka_errors.CoordinatorLoadInProgressError,
    kafka_errors.NotCoordinatorError,
    aiokafka_errors.CoordinatorNotAvailableError,
    aiokafka_errors.CoordinatorLoadInProgressError,
    aiokafka_errors.NotCoordinatorError,
)
COORDINATOR_WAIT_SECONDS = 60.0
T = TypeVar("T")


class _Backoff:
    """The pauses between tries while the coordinator is not ready: doubling from 0.2 s up to 5 s, until `wait`."""

    def __init__(self, wait: float) -> None:
        self._deadline = time.monotonic() + wait
        self._pause = 0.2

    def after(self, error: Exception) -> float | None:
        """How long to pause after `error` before trying again; None when the time is up."""
        pause = self._pause
        if time.monotonic() + pause > self._deadline:
            return None
        log.info("group coordinator not ready (%s); trying again in %.1f s", type(error).__name__, pause)
        self._pause = min(pause * 2, 5.0)
        return pause


def until_coordinator_ready(call: Callable[[], T], wait: float = COORDINATOR_WAIT_SECONDS) -> T:
    """`call()`, repeated while the group coordinator is not ready yet (for up to `wait` seconds)."""
    backoff = _Backoff(wait)
    while True:
        try:
            return call()
        except COORDINATOR_NOT_READY as exc:
            pause = backoff.after(exc)
            if pause is None:
                raise
            time.sleep(pause)


async def until_coordinator_ready_async(call: Callable[[], Awaitable[T]], wait: float = COORDINATOR_WAIT_SECONDS) -> T:
    """`await call()`, repeated while the group coordinator is not ready yet (for up to `wait` seconds)."""
    backoff = _Backoff(wait)
    while True:
        try:
            return await call()
        except COORDINATOR_NOT_READY as exc:
            pause = backoff.after(exc)
            if pause is None:
                raise
            await asyncio.sleep(pause)


def answer_for_groups(settings: Settings, groups: Sequence[ConsumerGroup]) -> None:
    """Ask the coordinator of each group for its committed offsets; raises a not-ready error while it loads."""
    # A new client each time: kafka-python's admin client keeps a coordinator it found even after it said "not me".
    with admin_client(settings) as client:
        client.list_group_offsets([group.name(settings.topic_prefix) for group in groups])


def wait_for_group_coordinator(
    settings: Settings, groups: Sequence[ConsumerGroup], wait: float = COORDINATOR_WAIT_SECONDS
) -> bool:
    """Whether the coordinator answered for every group within `wait` (a fresh broker loads its offsets first)."""
    # Joining before that works too, after a burst of kafka-python warnings: this wait keeps a fresh start quiet.
    try:
        until_coordinator_ready(lambda: answer_for_groups(settings, groups), wait)
    except COORDINATOR_NOT_READY as exc:
        log.warning("group coordinator still not ready after %g s (%s); going on", wait, type(exc).__name__)
        return False
    except kafka_errors.KafkaError as exc:  # the one who joins the group reports any other problem itself
        log.info("group coordinator not asked (%s); going on", exc)
        return False
    return True
