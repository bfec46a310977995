"""The agent's decoded serials: the table is read once per serial, and nothing kept outlives a rebalance."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from lifecycle.rules import SerialState
from streams.agent import Processor
from streams.sent import Sent, decode_sent
from streams.stored import StoredSerial, encode_stored


class Store(dict[bytes, bytes]):
    """A table's local store that counts its reads."""

    reads = 0

    def get(self, key: bytes, default: Any = None) -> Any:
        self.reads += 1
        return super().get(key, default)


def stored(event_id: str) -> StoredSerial:
    state = SerialState(serial="SN-1", clock=datetime(2026, 1, 1, tzinfo=UTC))
    return StoredSerial(state).after(state, Sent(event_id))


def processor(store: Store, generation: int) -> Any:
    changelog: Any = SimpleNamespace(write=lambda key, value, partition: store.__setitem__(key, value))
    app: Any = SimpleNamespace(consumer_generation_id=generation)
    fields: Any = dict.fromkeys(("settings", "view", "policy", "checkpoint", "rerouter", "outbox"))
    return Processor(app=app, table=SimpleNamespace(data=store), changelog=changelog, topics={}, **fields)


def test_a_serial_is_decoded_from_the_table_once_and_its_writes_are_read_back_without_the_table() -> None:
    store = Store({b"SN-1": encode_stored(stored("e-1"))})
    agent = processor(store, generation=3)
    agent._follow(3)
    first = agent.load("SN-1")
    assert first is not None
    assert decode_sent(first.recent[0]).event_id == "e-1"
    assert agent.load("SN-1") is first
    after = stored("e-2")
    agent.write("SN-1", after, encode_stored(after), 0)
    assert agent.load("SN-1") is after
    assert store.reads == 1


def test_a_new_generation_or_a_revocation_reads_the_table_again() -> None:
    store = Store({b"SN-1": encode_stored(stored("e-1"))})
    agent = processor(store, generation=3)
    agent._follow(3)
    agent.load("SN-1")
    store[b"SN-1"] = encode_stored(stored("e-9"))  # restored from the changelog while another worker had it
    agent.app.consumer_generation_id = 4
    agent._follow(4)
    assert decode_sent(agent.load("SN-1").recent[0]).event_id == "e-9"
    store[b"SN-1"] = encode_stored(stored("e-10"))
    agent.forget(agent.app, set())  # the revocation signal
    assert decode_sent(agent.load("SN-1").recent[0]).event_id == "e-10"


def test_a_write_of_a_batch_that_a_rebalance_overtook_is_not_kept_decoded() -> None:
    store = Store()
    agent = processor(store, generation=3)
    agent._follow(3)
    agent.app.consumer_generation_id = 4  # the group moved on while the batch ran
    late = stored("e-1")
    agent.write("SN-1", late, encode_stored(late), 0)
    assert agent.decoded == {}
    assert agent.load("SN-1") is not late  # read from the table, as written
    assert store.reads == 1
