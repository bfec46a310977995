"""`lifecycle replay`: the rules run offline over a file of events, with a clock that follows them."""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import orjson

from lifecycle.arguments import instant
from lifecycle.errors import UserError
from lifecycle.input_files import LongLine, open_input
from lifecycle.replay.document import write_document
from lifecycle.replay.pipeline import Replay
from lifecycle.rules import Policy


def replay_events(
    lines: Iterable[str | LongLine], as_of: datetime | None, policy: Policy | None = None
) -> dict[str, Any]:
    """Replay JSON lines and return the result document; `as_of` None means now."""
    return run_replay(Replay(policy or Policy()), lines, as_of).document()


def run_replay(replay: Replay, lines: Iterable[str | LongLine], as_of: datetime | None) -> Replay:
    """Feed every non-blank line (one too long is rejected unread), then advance the clock to `as_of` (None: now)."""
    # The states hold millions of small acyclic objects: the cyclic collector's full scans cost more
    # than all the rules, and it has nothing to free here.
    gc.disable()
    try:
        number = 0
        for number, line in enumerate(lines, start=1):  # the last number is the count of lines read
            if isinstance(line, LongLine):
                replay.events += 1
                replay.rejected.append({"line": number, "event_id": None, "reason": str(line)})
            elif line.strip():
                replay.feed_line(line, number)
        replay.lines = number
        replay.advance_to(as_of or datetime.now(UTC))
        return replay
    finally:
        gc.enable()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("events", help="JSON-lines file of events, or - for standard input")
    parser.add_argument(
        "--as-of", type=instant, help="RFC 3339 instant to advance the clock to at the end (default: now)"
    )
    parser.add_argument("--stats", action="store_true", help="print events/s and peak memory to standard error")


def run(args: argparse.Namespace) -> int:
    from lifecycle.settings import Settings

    settings = Settings.from_env()
    policy = settings.policy()
    started = time.perf_counter()
    # Notices go to a spool file as they come, so memory holds the states, not every notice sent.
    with open_input(args.events) as source, tempfile.TemporaryFile() as spool:

        def keep(notice: dict[str, Any]) -> None:
            spool.write(orjson.dumps(notice) + b"\n")

        replay = run_replay(Replay(policy, keep), source, args.as_of)
        # What the replay holds lives until the process ends: the collector need not scan it while writing.
        gc.freeze()
        elapsed = time.perf_counter() - started
        spool.seek(0)
        write_document(sys.stdout.buffer, replay, spool)
    sys.stdout.buffer.flush()
    if args.stats:
        _print_stats(replay.lines, elapsed, replay.notice_count)
    if replay.events and len(replay.rejected) == replay.events:
        first = replay.rejected[0]
        reason = " ".join(str(first["reason"]).split())
        raise UserError(
            f"no event was accepted: {replay.events} rejected, the first on line {first['line']} ({reason}); "
            "see `rejected` in the output"
        )
    return 0


def _print_stats(lines: int, elapsed: float, notices: int) -> None:
    import resource

    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rate = lines / elapsed if elapsed else 0.0
    print(
        f"replayed {lines} lines in {elapsed:.2f} s ({rate:,.0f} events/s); {notices} notices; "
        f"peak memory {peak_mib:.0f} MiB",
        file=sys.stderr,
    )
