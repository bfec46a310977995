"""take_batches: slices of a stream's queue, stale events acknowledged and dropped, the rest acknowledged after use."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from streams.taking import take_batches


@dataclass(eq=False)
class Message:
    topic: str
    offset: int
    generation_id: int = 1
    tracked: bool = False


@dataclass(eq=False)
class Event:
    message: Message
    acks: list[int] = field(default_factory=list)

    def ack(self) -> bool:
        self.acks.append(self.message.offset)
        return True


def stream_of(queue: asyncio.Queue[Event], active: list[bool]) -> Any:
    app = SimpleNamespace(
        consumer_generation_id=1,
        consumer=SimpleNamespace(unacked=set()),
        flow_control=SimpleNamespace(is_active=lambda: active[0]),
        topics=SimpleNamespace(acking_topics={"in"}),
    )
    return SimpleNamespace(app=app, channel=SimpleNamespace(queue=queue))


def test_what_the_queue_holds_comes_in_slices_and_each_event_is_acked_once_its_batch_is_handled() -> None:
    async def scenario() -> None:
        queue: asyncio.Queue[Event] = asyncio.Queue()
        events = [Event(Message("in", offset)) for offset in range(5)]
        for event in events:
            queue.put_nowait(event)
        stream = stream_of(queue, [True])
        batches = take_batches(stream, 3, 0.01)
        first = await anext(batches)
        assert [e.message.offset for e in first] == [0, 1, 2]
        assert stream.app.consumer.unacked == {e.message for e in first}  # a rebalance waits for them
        assert all(e.message.tracked and not e.acks for e in first)
        second = await anext(batches)  # the first batch is done: acknowledged
        assert [e.acks for e in first] == [[0], [1], [2]]
        assert [e.message.offset for e in second] == [3, 4]  # fewer than three came within the wait
        late = asyncio.get_running_loop().call_later(0.005, queue.put_nowait, Event(Message("in", 5)))
        third = await anext(batches)
        assert [e.message.offset for e in third] == [5]
        late.cancel()
        await batches.aclose()
        assert [e.acks for e in third] == [[5]]

    asyncio.run(scenario())


def test_events_of_an_earlier_generation_or_taken_while_the_flow_is_suspended_are_acked_and_dropped() -> None:
    async def scenario() -> None:
        queue: asyncio.Queue[Event] = asyncio.Queue()
        stale, current = Event(Message("in", 0, generation_id=0)), Event(Message("in", 1))
        queue.put_nowait(stale)
        queue.put_nowait(current)
        active = [True]
        batches = take_batches(stream_of(queue, active), 10, 0.001)
        assert await anext(batches) == [current]
        assert stale.acks == [0]
        assert not stale.message.tracked
        active[0] = False
        suspended = Event(Message("in", 2))
        queue.put_nowait(suspended)
        queue.put_nowait(Event(Message("in", 3)))
        task = asyncio.ensure_future(anext(batches))
        await asyncio.sleep(0.01)
        assert suspended.acks == [2]
        assert not task.done()  # nothing handled while suspended
        task.cancel()

    asyncio.run(scenario())


def test_the_batches_end_when_faust_stops_the_stream() -> None:
    async def scenario() -> None:
        queue: ThrownQueue = ThrownQueue()
        event = Event(Message("in", 0))
        queue.put_nowait(event)
        batches = take_batches(stream_of(queue, [True]), 10, 0.05)
        task = asyncio.ensure_future(anext(batches))
        await asyncio.sleep(0.001)
        queue.stop()  # as faust's actor does when it stops: StopAsyncIteration thrown into the queue
        with pytest.raises(StopAsyncIteration):
            await task
        assert event.acks == [0]  # taken, never handled: acknowledged so a rebalance does not wait for it

    asyncio.run(scenario())


class ThrownQueue(asyncio.Queue[Event]):
    """A queue that raises StopAsyncIteration from its next get once stopped, like faust's ThrowableQueue."""

    stopped = False

    def stop(self) -> None:
        self.stopped = True
        self.put_nowait(Event(Message("in", -1)))  # wake a waiting get

    async def get(self) -> Event:
        event = await super().get()
        if self.stopped:
            raise StopAsyncIteration
        return event
