"""What an emit run did, counted as Kafka answers: the summary it prints, and where to resume one interrupted."""

from __future__ import annotations

import signal
from collections import Counter
from dataclasses import dataclass
from typing import IO, Protocol


class Numbered(Protocol):
    """An input line's event: its number and topic suffix."""

    @property
    def line(self) -> int: ...

    @property
    def suffix(self) -> str: ...


@dataclass
class Tally:
    """What an emit run did: events sent per topic, lines refused, sends that failed, and how far it read."""

    sent: Counter[str]
    refused: int = 0
    failed: int = 0
    stopped: str = ""  # why the input ended early (a read that failed), after what was sent
    last_line: int = 0  # the last line gone through: sent, refused or failed (later lines were not read)
    handed: int = 0  # events handed to the producer
    answered: int = 0  # of those, acknowledged or failed
    interrupted: int = 0  # the stop signal that ended the reading (0: none)
    cut_line: int = 0  # a line a second signal cut while it was handed over (0: none)
    read_all: bool = False  # every line was gone through (a signal came during the flush)

    def summary(self) -> str:
        """One line: events sent per topic, lines refused, sends failed, events not confirmed."""
        per_topic = ", ".join(f"{suffix} {count}" for suffix, count in sorted(self.sent.items()))
        text = f"sent {sum(self.sent.values())} events ({per_topic or 'none'}), refused {self.refused} lines"
        text += f", {self.failed} sends failed" if self.failed else ""
        unconfirmed = self.handed - self.answered
        return text + (f", {unconfirmed} not confirmed (they may or may not have gone out)" if unconfirmed else "")

    def resume(self) -> str:
        """After a stop signal: which signal, the last line gone through, and the line to resume from."""
        name = signal.Signals(self.interrupted).name
        if self.read_all:
            return f"interrupted by {name} after the last line, {self.last_line}: every line was gone through"
        cut = f"; line {self.cut_line}, cut while handed over, may or may not have gone out" if self.cut_line else ""
        return (
            f"interrupted by {name} after line {self.last_line}{cut}; the lines after it were not read: "
            f"resume from line {self.last_line + 1}"
        )

    def record_sent(self, item: Numbered, _metadata: object) -> None:
        """Delivery callback of one event (runs on the producer's I/O thread)."""
        self.sent[item.suffix] += 1
        self.answered += 1

    def record_lost(self, item: Numbered, errors: IO[str], exc: BaseException) -> None:
        """Failure callback of one event handed over (runs on the producer's I/O thread)."""
        self.answered += 1
        self.record_failed(item, errors, exc)

    def record_failed(self, item: Numbered, errors: IO[str], exc: BaseException) -> None:
        """One event not sent, named on `errors` by its line."""
        self.failed += 1
        print(f"line {item.line}: not sent: {exc}", file=errors)
