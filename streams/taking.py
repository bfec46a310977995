"""Batches of events taken straight from an agent's stream buffer, as faust's `take_events` gives them.

`take_events` passes every event through the stream's own iterator in a second task (a processor coroutine, a
loop turn, the stream's sensors) before it reaches the batch: about a tenth of the worker's time. Here the agent
takes from the queue the consumer fills (the stream's channel's) itself, in slices, and does per event only what
faust's iterator does that the processor needs: events of an earlier group generation (or taken while the flow is
suspended for a rebalance) are acknowledged and dropped, the others are counted unacknowledged until the batch is
handled, so a rebalance waits for them (`Consumer.wait_empty`). `tests/unit/processor/test_faust_canary.py`
fails when faust changes these names.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any


async def take_batches(stream: Any, most: int, within: float) -> AsyncGenerator[list[Any], None]:
    """Lists of up to `most` events: what the stream holds, or what comes within `within` seconds of the first."""
    app = stream.app
    queue = stream.channel.queue  # a FlowControlQueue: getting from it lets a paused partition be fetched again
    get, get_nowait, empty = queue.get, queue.get_nowait, queue.empty
    is_active = app.flow_control.is_active
    acking_topics = app.topics.acking_topics
    clock = asyncio.get_running_loop().time
    while True:
        taken: list[Any] = []
        try:
            taken.append(await get())
            deadline = clock() + within
            while len(taken) < most:
                if not empty():
                    taken.append(get_nowait())
                    continue
                remaining = deadline - clock()
                if remaining <= 0:
                    break
                try:
                    taken.append(await asyncio.wait_for(get(), remaining))
                except TimeoutError:
                    break
        except StopAsyncIteration:  # faust's actor throws it into the queue when it stops: the stream has ended
            for event in taken:
                event.ack()
            return
        events = _current(app, taken, is_active(), acking_topics)
        try:
            if events:
                yield events
        finally:
            for event in events:
                event.ack()


def _current(app: Any, taken: list[Any], active: bool, acking_topics: Any) -> list[Any]:
    """The events to handle; the others are acknowledged at once, as faust's stream iterator skips them."""
    generation = app.consumer_generation_id
    unacked = app.consumer.unacked  # the set a rebalance waits to see empty
    events = []
    for event in taken:
        message = event.message
        if not active or message.generation_id != generation:
            event.ack()
            continue
        if message.topic in acking_topics and not message.tracked:
            message.tracked = True
            unacked.add(message)
        events.append(event)
    return events
