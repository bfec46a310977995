"""ChangelogWrites: no offset commit before the table's changelog records are on the broker."""

from __future__ import annotations

import asyncio
from typing import Any

from streams.changelog import ChangelogWrites


class Table:
    """The two parts of a faust table that ChangelogWrites uses."""

    def __init__(self) -> None:
        self.data: dict[bytes, bytes] = {}
        self.sent: list[tuple[int, bytes, bytes]] = []
        self.futures: list[asyncio.Future[Any]] = []

    def send_changelog(self, partition: int, key: bytes, value: bytes) -> asyncio.Future[Any]:
        self.sent.append((partition, key, value))
        self.futures.append(asyncio.get_running_loop().create_future())
        return self.futures[-1]


class Producer:
    def __init__(self) -> None:
        self.flushed = 0

    async def flush(self) -> None:
        self.flushed += 1


def test_the_producer_flush_waits_for_every_changelog_record_written_before_it() -> None:
    async def scenario() -> None:
        table, producer = Table(), Producer()
        writes = ChangelogWrites(table)
        writes.install(producer)
        writes.install(producer)  # a restarted agent installs again: still one wrapper
        writes.write(b"SF-1", b"v1", 3)
        writes.write(b"SF-2", b"v2", 4)
        assert table.data == {b"SF-1": b"v1", b"SF-2": b"v2"}
        assert table.sent == [(3, b"SF-1", b"v1"), (4, b"SF-2", b"v2")]

        flushing = asyncio.ensure_future(producer.flush())
        table.futures[0].set_result(None)
        await asyncio.sleep(0.01)
        assert not flushing.done()  # SF-2's record is not on the broker yet
        assert producer.flushed == 0
        table.futures[1].set_result(None)
        await asyncio.wait_for(flushing, 1)
        assert producer.flushed == 1

        await producer.flush()  # nothing pending: straight through
        assert producer.flushed == 2

    asyncio.run(scenario())
