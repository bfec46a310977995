"""ChangelogWrites and the changelog topic: records tracked until the broker has them; a topic of the right shape."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import pytest
from producer_fakes import Producer

from lifecycle.errors import UserError
from lifecycle.settings import Settings
from lifecycle.topics import PARTITIONS
from streams import changelog
from streams.changelog import CHANGELOG, ChangelogWrites, ensure_changelog_topic
from streams.outbox import Outbox


class Store(dict[bytes, bytes]):
    """A faust table's local store: its values and the changelog offsets it holds."""

    def __init__(self) -> None:
        super().__init__()
        self.persisted: dict[Any, int] = {}

    def set_persisted_offset(self, tp: Any, offset: int) -> None:
        self.persisted[tp] = offset


class Table:
    """The part of a faust table that ChangelogWrites uses."""

    def __init__(self) -> None:
        self.data = Store()


def test_every_write_is_kept_locally_and_its_changelog_record_tracked_and_its_last_offset_kept_once_acked() -> None:
    async def scenario() -> None:
        table, producer, tracked = Table(), Producer(), []
        outbox = Outbox(lambda: producer, {"c": PARTITIONS}, lambda what, sent: tracked.append((what, sent)))
        writes = ChangelogWrites(table, "c", outbox)
        writes.write(b"SF-1", b"v1", 3)
        writes.write(b"SF-3", b"v3", 3)
        writes.write(b"SF-2", b"v2", 4)
        assert table.data == {b"SF-1": b"v1", b"SF-2": b"v2", b"SF-3": b"v3"}
        assert producer.sent == []  # nothing goes out before the batch's end
        await outbox.send()
        assert producer.sent == [("c", 3, [(b"SF-1", b"v1"), (b"SF-3", b"v3")]), ("c", 4, [(b"SF-2", b"v2")])]
        assert [what for what, _ in tracked] == ["changelog", "changelog"]
        producer.deliveries[0].set_result(SimpleNamespace(topic_partition=("c", 3), offset=41))
        producer.deliveries[1].set_exception(OSError("refused"))
        await asyncio.sleep(0)
        assert table.data.persisted == {("c", 3): 42}  # a refused batch keeps no offset (the checkpoint stops)
        producer.deliveries[1].exception()

    asyncio.run(scenario())


class Admin:
    def __init__(self, partitions: int | None) -> None:
        self.partitions = partitions
        self.created: list[Any] = []

    def list_topics(self) -> list[str]:
        return [] if self.partitions is None else [CHANGELOG.name("p")]

    def create_topics(self, topics: list[Any], **_: Any) -> dict[str, Any]:
        self.created += topics
        self.partitions = topics[0].num_partitions
        return {"topics": [{"name": topics[0].name, "error_code": 0, "error_message": None}]}

    def describe_topics(self, names: list[str]) -> list[dict[str, Any]]:
        return [{"name": names[0], "partitions": [{}] * (self.partitions or 0)}]


def with_admin(monkeypatch: pytest.MonkeyPatch, admin: Admin) -> Settings:
    @contextmanager
    def client(settings: Settings) -> Iterator[Admin]:
        yield admin

    monkeypatch.setattr(changelog, "admin_client", client)
    return Settings.from_env({"LIFECYCLE_TOPIC_PREFIX": "p"})


def test_a_missing_changelog_topic_is_created_compacted_with_one_partition_per_input_partition(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    admin = Admin(None)
    ensure_changelog_topic(with_admin(monkeypatch, admin))
    [topic] = admin.created
    assert (topic.name, topic.num_partitions) == ("p.processor-serial_to_state-changelog", PARTITIONS)
    assert dict(topic.topic_configs)["cleanup.policy"] == "compact"


def test_a_changelog_topic_made_elsewhere_with_another_count_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    admin = Admin(1)
    with pytest.raises(UserError) as refused:
        ensure_changelog_topic(with_admin(monkeypatch, admin))
    assert admin.created == []
    assert str(refused.value).startswith(
        f"topic p.processor-serial_to_state-changelog has 1 partitions, the serial table needs {PARTITIONS}"
    )
    assert "\n" not in str(refused.value)


def test_a_rocksdb_store_gets_the_batch_s_values_in_one_write_per_partition_at_keep(tmp_path: Any) -> None:
    import rocksdict
    from faust.stores.rocksdb import Store as RocksDBStore

    dbs: dict[int, Any] = {}

    def db_for_partition(partition: int) -> Any:
        if partition not in dbs:
            dbs[partition] = rocksdict.Rdict(str(tmp_path / str(partition)), options=rocksdict.Options(raw_mode=True))
        return dbs[partition]

    store = RocksDBStore.__new__(RocksDBStore)  # the local store's parts that ChangelogWrites uses, no faust app
    store.use_rocksdict = True
    store._db_for_partition = db_for_partition  # type: ignore[method-assign]
    table, producer = SimpleNamespace(data=store), Producer()
    outbox = Outbox(lambda: producer, {"c": PARTITIONS}, lambda what, sent: None)
    writes = ChangelogWrites(table, "c", outbox)
    writes.write(b"SF-1", b"v1", 3)
    writes.write(b"SF-2", b"v2", 4)
    writes.write(b"SF-1", b"v1'", 3)
    assert dbs == {}  # nothing in the store before `keep`
    writes.keep()
    assert dbs[3][b"SF-1"] == b"v1'"
    assert dbs[4][b"SF-2"] == b"v2"
    assert dbs[3].get(b"SF-2") is None
    writes.keep()  # nothing waits: nothing written again
    for db in dbs.values():
        db.close()
