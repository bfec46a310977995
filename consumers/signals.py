"""How every consumer process stops: on SIGTERM (a supervisor) or SIGINT (Ctrl-C), after the work in hand."""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from types import FrameType

log = logging.getLogger(__name__)


def stop_on_signals(stop: Callable[[], None]) -> None:
    """Call `stop` on SIGTERM or SIGINT; the process then finishes what it holds and exits."""

    def requested(signum: int, _frame: FrameType | None) -> None:
        log.info("stopping on %s", signal.Signals(signum).name)
        stop()

    signal.signal(signal.SIGTERM, requested)
    signal.signal(signal.SIGINT, requested)
