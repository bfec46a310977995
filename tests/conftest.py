"""Shared fixtures: markers by folder, the real broker and PostgreSQL, a unique topic prefix and database per test."""

from __future__ import annotations

import os
import secrets
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from pg_admin import ADMIN_URL, with_database
from topic_reading import read_topic

from lifecycle.settings import Settings

DEFAULT_BOOTSTRAP = "127.0.0.1:9092"
MARKER_BY_FOLDER = {"unit": "unit", "integration": "integration", "e2e": "e2e", "faults": "faults", "bench": "bench"}
TESTS_DIR = Path(__file__).parent


def pytest_configure(config: pytest.Config) -> None:
    """Let SIGINT interrupt, even when the run was started with it ignored (a background job of a script).

    The tests of Ctrl-C send it to this process and to the commands it starts, which would inherit it ignored.
    """
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test with the marker named after its top folder under tests/."""
    for item in items:
        try:
            folder = Path(item.fspath).relative_to(TESTS_DIR).parts[0]
        except ValueError:
            continue
        marker = MARKER_BY_FOLDER.get(folder)
        if marker and not item.get_closest_marker(marker):
            item.add_marker(getattr(pytest.mark, marker))


def _reachable(address: str) -> bool:
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=3):
            return True
    except (OSError, ValueError):
        return False


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    """The bootstrap servers of the real broker (LIFECYCLE_KAFKA_BOOTSTRAP); fails when none answers."""
    bootstrap = os.environ.get("LIFECYCLE_KAFKA_BOOTSTRAP", DEFAULT_BOOTSTRAP)
    if not any(_reachable(address.strip()) for address in bootstrap.split(",") if address.strip()):
        pytest.fail(
            f"no Kafka broker answers at {bootstrap}: run `lifecycle stack up` (or `make stack-up`) "
            "or set LIFECYCLE_KAFKA_BOOTSTRAP",
            pytrace=False,
        )
    return bootstrap


@pytest.fixture
def topic_prefix() -> str:
    """A topic prefix of this test alone, `t<hex>`."""
    return f"t{secrets.token_hex(6)}"


def _admin_connection() -> psycopg2.extensions.connection:
    url = ADMIN_URL
    try:
        connection = psycopg2.connect(url, connect_timeout=5)
    except psycopg2.OperationalError as exc:
        pytest.fail(
            f"no PostgreSQL answers at {url} ({str(exc).strip()}): run `lifecycle stack up` (or `make stack-up`) "
            "or set LIFECYCLE_TEST_PG_ADMIN_URL",
            pytrace=False,
        )
    connection.autocommit = True
    return connection


@pytest.fixture
def pg_dsn(topic_prefix: str) -> Iterator[str]:
    """The DSN of a fresh, empty database of this test alone; dropped afterwards."""
    database = f"lc_{topic_prefix}"
    connection = _admin_connection()
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{database}"')
        yield with_database(ADMIN_URL, database)
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        connection.close()


@pytest.fixture
def lifecycle_env(kafka_bootstrap: str, topic_prefix: str, pg_dsn: str, tmp_path: Path) -> dict[str, str]:
    """The environment of this test (os.environ plus its prefix, broker, database and home), for subprocesses."""
    return {
        **os.environ,
        "LIFECYCLE_TOPIC_PREFIX": topic_prefix,
        "LIFECYCLE_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "LIFECYCLE_DATABASE_URL": pg_dsn,
        "LIFECYCLE_HOME": str(tmp_path / "home"),
    }


@pytest.fixture
def settings(lifecycle_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings of this test, read from `lifecycle_env` (which is also put into os.environ)."""
    for name, value in lifecycle_env.items():
        if name.startswith("LIFECYCLE_"):
            monkeypatch.setenv(name, value)
    return Settings.from_env()


@pytest.fixture
def topics(settings: Settings) -> Iterator[Settings]:
    """Every topic of lifecycle/topics.py created under this test's prefix; deleted afterwards."""
    from lifecycle.admin import delete_topics, ensure_topics

    states = ensure_topics(settings)
    mismatched = [state.describe() for state in states if not state.matches]
    assert not mismatched, f"topics do not match their definition: {mismatched}"
    yield settings
    if not os.environ.get("LIFECYCLE_TEST_KEEP_TOPICS"):  # set it to look at a failed run's topics afterwards
        delete_topics(settings)


@pytest.fixture(name="read_topic")
def read_topic_fixture() -> object:
    """The `read_topic(settings, suffix, timeout)` helper as a fixture (or `from topic_reading import read_topic`)."""
    return read_topic
