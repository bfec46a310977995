"""The processor bench leaves no topic of its prefix behind."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from lifecycle import admin as lifecycle_admin
from lifecycle.settings import Settings


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
