"""emit stopped by SIGINT or SIGTERM: what was handed over is flushed and counted, then where to resume, in a line."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import orjson
import pytest
from examples import example
from kafka.producer.future import FutureProduceResult, FutureRecordMetadata, RecordMetadata

from lifecycle import emit
from lifecycle.cli import main


def purchase(n: int) -> bytes:
    """A valid purchase line of serial SN-n."""
    return orjson.dumps({**example("purchase"), "event_id": f"ev-{n}", "serial": f"SN-{n}"}) + b"\n"


class Producer:
    """A producer that acknowledges each send at once (or never, `acked` False); `on_send` and `on_flush` hook in."""

    sent: ClassVar[list[bytes]] = []
    closed: ClassVar[list[float | None]] = []
    acked = True
    on_send: Callable[[int], None] = staticmethod(lambda count: None)
    on_flush: Callable[[], None] = staticmethod(lambda: None)

    def __init__(self, **_config: Any) -> None:
        pass

    def send(self, topic: str, key: bytes, value: bytes) -> FutureRecordMetadata:
        Producer.on_send(len(self.sent) + 1)
        self.sent.append(key)
        future = FutureRecordMetadata(FutureProduceResult(None), 0, -1, None, None, None, -1)
        return future.success(RecordMetadata(topic, 0, None, 0, -1, None, 0, 0, 0)) if self.acked else future

    def flush(self, timeout: float | None = None) -> None:
        Producer.on_flush()

    def close(self, timeout: float | None = None) -> None:
        self.closed.append(timeout)


def _unhandled(signum: int, _frame: object) -> None:
    raise RuntimeError(f"signal {signum} reached the test process")


@pytest.fixture
def events(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Five purchases to emit to the fake producer; the test process's signal handlers back afterwards."""
    before = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    signal.signal(signal.SIGTERM, _unhandled)  # a SIGTERM emit leaves alone fails the test, not the test process
    monkeypatch.setattr(emit, "KafkaProducer", Producer)
    monkeypatch.setattr(emit, "require_topics", lambda *_args, **_kwargs: None)
    monkeypatch.setattr(Producer, "sent", [])
    monkeypatch.setattr(Producer, "closed", [])
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"".join(purchase(n) for n in range(1, 6)))
    yield path
    for signum, handler in before.items():
        signal.signal(signum, handler)


def _signal_on(number: int, *signums: signal.Signals) -> Callable[[int], None]:
    def hook(count: int) -> None:
        if count == number:
            for signum in signums:
                signal.raise_signal(signum)

    return hook


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_stop_signal_during_a_send_ends_after_that_line_with_the_tally_and_where_to_resume(
    signum: signal.Signals, events: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(Producer, "on_send", staticmethod(_signal_on(3, signum)))
    assert main(["emit", str(events)]) == 128 + signum
    assert Producer.sent == [b"SN-1", b"SN-2", b"SN-3"]
    assert Producer.closed == [None]  # closed after a flush of all that was handed over
    assert capsys.readouterr() == (
        "sent 3 events (purchases 3), refused 0 lines\n",
        f"lifecycle emit: interrupted by {signum.name} after line 3; the lines after it were not read: "
        "resume from line 4\n",
    )


def test_a_stop_signal_while_reading_ends_before_the_line_being_read(
    events: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def lines() -> Iterator[bytes]:
        yield purchase(1)
        yield purchase(2)
        signal.raise_signal(signal.SIGINT)  # standard input waited on, say
        yield purchase(3)

    @contextmanager
    def opened(_path: str) -> Iterator[Iterator[bytes]]:
        yield lines()

    monkeypatch.setattr(emit, "open_input_bytes", opened)
    assert main(["emit", "-"]) == 130
    assert Producer.sent == [b"SN-1", b"SN-2"]
    assert capsys.readouterr().err.endswith("after line 2; the lines after it were not read: resume from line 3\n")


def test_a_second_signal_during_the_flush_leaves_what_is_in_flight_unconfirmed(
    events: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(Producer, "acked", False)
    monkeypatch.setattr(Producer, "on_send", staticmethod(_signal_on(2, signal.SIGINT)))
    monkeypatch.setattr(Producer, "on_flush", staticmethod(lambda: signal.raise_signal(signal.SIGTERM)))
    assert main(["emit", str(events)]) == 128 + signal.SIGTERM
    assert Producer.closed == [0]  # given up at once, not waited for
    assert capsys.readouterr() == (
        "sent 0 events (none), refused 0 lines, 2 not confirmed (they may or may not have gone out)\n",
        "lifecycle emit: interrupted by SIGTERM after line 2; the lines after it were not read: resume from line 3\n",
    )


def test_a_second_signal_during_a_send_names_the_line_cut(
    events: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(Producer, "on_send", staticmethod(_signal_on(2, signal.SIGINT, signal.SIGINT)))
    assert main(["emit", str(events)]) == 130
    assert Producer.sent == [b"SN-1"]
    assert capsys.readouterr().err == (
        "lifecycle emit: interrupted by SIGINT after line 1; line 2, cut while handed over, may or may not have gone "
        "out; the lines after it were not read: resume from line 2\n"
    )


def test_a_first_signal_during_the_flush_lets_it_finish(
    events: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(Producer, "on_flush", staticmethod(lambda: signal.raise_signal(signal.SIGINT)))
    assert main(["emit", str(events)]) == 130
    assert Producer.closed == [None]
    assert capsys.readouterr() == (
        "sent 5 events (purchases 5), refused 0 lines\n",
        "lifecycle emit: interrupted by SIGINT after the last line, 5: every line was gone through\n",
    )
