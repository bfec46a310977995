"""Fixtures of the store's and scheduler's integration tests: the store's role after the migrations, a running
store, and the scheduler's sample database."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from pg_admin import with_role
from scheduler_helpers import scheduler_settings

from consumers.db import migrate
from consumers.store.command import run_store
from lifecycle.settings import Settings


@pytest.fixture
def app_settings(topics: Settings) -> Settings:
    """Settings whose database URL logs in as the store's own role (consumers/grants.py), after the migrations."""
    migrate(topics)
    return topics.replace(database_url=with_role(topics.database_url.get_secret_value(), topics.db_store_role))


@pytest.fixture
def running_store(app_settings: Settings) -> Iterator[Settings]:
    """`run_store` in a thread (batches of 50) as the store's role; stopped, and checked for failures, afterwards."""
    stop = threading.Event()
    failures: list[BaseException] = []

    def target() -> None:
        try:
            run_store(app_settings, stop, batch_size=50)
        except BaseException as exc:
            failures.append(exc)

    thread = threading.Thread(target=target, name="store")
    thread.start()
    yield app_settings
    stop.set()
    thread.join(timeout=30)
    assert not thread.is_alive(), "the store did not stop"
    assert not failures, failures


@pytest.fixture
def scheduler_env(topics: Settings, lifecycle_env: dict[str, str]) -> tuple[Settings, dict[str, str]]:
    """Migrated database holding four entitlements and two releases (written as the store's role); processes log
    in as the scheduler's role."""
    settings = scheduler_settings(topics)
    return settings, {
        **lifecycle_env,
        "LIFECYCLE_DATABASE_URL": settings.database_url.get_secret_value(),
        "LIFECYCLE_METRICS_PORT": "0",
    }
