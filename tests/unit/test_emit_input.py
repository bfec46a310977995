"""emit's input, line by line: a line that is not UTF-8 or is nested too deeply is refused, the rest still sent."""

from __future__ import annotations

import errno
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, cast

import orjson
import pytest
from examples import example
from nesting import TOO_DEEP, default_recursion_limit, nested, with_extra

from lifecycle import emit
from lifecycle.cli import main
from lifecycle.emit import Outgoing, Refused, prepare_line
from lifecycle.input_files import LongLine, _lines
from schemas.checks import MAX_DEPTH


def purchase(n: int) -> bytes:
    """A valid purchase line of serial SN-n."""
    return orjson.dumps({**example("purchase"), "event_id": f"ev-{n}", "serial": f"SN-{n}"}) + b"\n"


class Delivered:
    """A send that the broker acknowledged at once."""

    def add_callback(self, callback: Callable[..., Any], *args: Any) -> Delivered:
        callback(*args, None)
        return self

    def add_errback(self, errback: Callable[..., Any], *args: Any) -> Delivered:
        return self


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The keys of the events emit sends, to a producer that acknowledges each at once."""
    keys: list[bytes] = []

    class Producer:
        def __init__(self, **_config: Any) -> None:
            pass

        def send(self, topic: str, key: bytes, value: bytes) -> Delivered:
            keys.append(key)
            return Delivered()

        def flush(self, timeout: float | None = None) -> None:
            pass

        def close(self, timeout: float | None = None) -> None:
            pass

    monkeypatch.setattr(emit, "KafkaProducer", Producer)
    monkeypatch.setattr(emit, "require_topics", lambda *_args, **_kwargs: None)
    return keys


def test_a_line_that_is_not_utf8_is_refused_with_its_number_and_the_rest_is_sent(
    sent: list[bytes], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(purchase(1) + purchase(2) + b'{"note": "caf\xe9"}\n' + purchase(4))
    assert main(["emit", str(path)]) == 1
    assert sent == [b"SN-1", b"SN-2", b"SN-4"]
    captured = capsys.readouterr()
    assert captured.err == "line 3: not UTF-8 text (invalid continuation byte at byte 14)\n"
    assert captured.out == "sent 3 events (purchases 3), refused 1 lines\n"


def test_a_read_that_fails_part_way_still_reports_what_was_sent(
    sent: list[bytes], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class FailingRead:
        def __init__(self) -> None:
            self.lines = [purchase(1).decode()]

        def readline(self, _size: int) -> str:
            if self.lines:
                return self.lines.pop()
            raise OSError(errno.EIO, "Input/output error")

    @contextmanager
    def failing(_path: str) -> Iterator[Iterator[str | LongLine]]:
        yield _lines("'events.jsonl'", cast(IO[str], FailingRead()), utf8=False)

    monkeypatch.setattr(emit, "open_input_bytes", failing)
    assert main(["emit", "events.jsonl"]) == 2
    assert sent == [b"SN-1"]
    captured = capsys.readouterr()
    assert captured.out == "sent 1 events (purchases 1), refused 0 lines\n"
    assert captured.err == "lifecycle emit: cannot read 'events.jsonl': Input/output error\n"


@pytest.mark.parametrize(
    "raw",
    [nested(TOO_DEEP), with_extra(300), with_extra(MAX_DEPTH)],  # deeper than msgspec, than orjson writes, by one
    ids=["decoder", "encoder", "limit"],
)
def test_a_line_nested_too_deeply_is_refused(raw: bytes) -> None:
    with default_recursion_limit():
        refused = prepare_line(5, raw)
    assert isinstance(refused, Refused)
    assert str(refused) == f"line 5: not JSON: nested deeper than {MAX_DEPTH} levels"


def test_lines_as_bytes_or_text_give_the_same_event() -> None:
    as_bytes, as_text = prepare_line(1, purchase(1)), prepare_line(1, purchase(1).decode())
    assert isinstance(as_bytes, Outgoing)
    assert as_bytes == as_text
    assert prepare_line(2, b"  \r\n") is None
    assert isinstance(prepare_line(3, with_extra(100)), Outgoing)
