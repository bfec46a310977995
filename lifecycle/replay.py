"""`lifecycle replay`: the rules run offline over a file of events, with a clock that follows them."""

from __future__ import annotations

import argparse
import gc
import heapq
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import IO, Any

import orjson

import schemas
from lifecycle.arguments import instant
from lifecycle.errors import UserError
from lifecycle.input_files import open_input
from lifecycle.rules import (
    Outcome,
    Policy,
    Release,
    SerialState,
    apply_event,
    catalog_from_releases,
    release_from_event,
)
from lifecycle.rules.calendar import iso_instant
from lifecycle.rules.engine import advance, event_time, next_due
from lifecycle.rules.model import Catalog


class Replay:
    """The whole pipeline's effect in one process: per-serial state, the catalog and a global clock."""

    def __init__(self, policy: Policy, on_notice: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.policy = policy
        self.on_notice = on_notice  # None keeps the notices in `self.notices`
        self.notice_count = 0
        self.states: dict[str, SerialState] = {}
        self.releases: set[Release] = set()
        self.catalog: Catalog = {}
        self.clock: datetime | None = None
        self.notices: list[dict[str, Any]] = []
        self.case_decisions: list[dict[str, Any]] = []
        self.rejected: list[dict[str, Any]] = []
        self.events = 0
        self._due: list[tuple[datetime, str]] = []
        self._scheduled: dict[str, datetime] = {}
        self._serials_by_family: dict[str, set[str]] = {}
        self._held_lines: dict[str, int | None] = {}  # the line of each event held now, for its refusal
        self._shared: dict[tuple[str, bytes], Any] = {}  # one copy of each repeated value of the events kept

    def feed_line(self, line: str, number: int) -> None:
        """Decode one JSON line and apply it; a bad line is rejected with its reason."""
        self.events += 1
        try:
            event = schemas.decode_event(line)
        except schemas.InvalidMessage as exc:
            self.rejected.append({"line": number, "event_id": _event_id_of(line), "reason": str(exc)})
            return
        self.feed(self._share(event), number)

    def _share(self, event: dict[str, Any]) -> dict[str, Any]:
        """The event with its repeated values (product, license, price, type, source...) as one shared copy each."""
        # Each serial keeps its recent events: most of their values are the same few products and channels.
        shared = self._shared
        for name in _SHARED_FIELDS:
            value = event.get(name)
            if value is not None:
                # Keyed by the value's JSON, so 1, 1.0 and true stay apart as the output writes them.
                event[name] = shared.setdefault((name, orjson.dumps(value)), value)
        serial = event.get("serial")
        if serial in self.states:
            event["serial"] = self.states[serial].serial
        return event

    def feed(self, event: dict[str, Any], number: int | None = None) -> None:
        """Advance the clock to the event, then apply it (a release updates the catalog)."""
        self.advance_to(event_time(event))
        assert self.clock is not None
        if event["type"] == "release":
            self._record_release(release_from_event(event))
            return
        self._apply(event, number)

    def advance_to(self, instant: datetime) -> None:
        """Move the global clock forward, firing what falls due on the way."""
        if self.clock is not None and instant <= self.clock:
            return
        while self._due and self._due[0][0] <= instant:
            due, serial = heapq.heappop(self._due)
            if self._scheduled.get(serial) != due:
                continue  # superseded by a newer schedule
            del self._scheduled[serial]
            self._take(serial, advance(self.states[serial], due, self.catalog, self.policy))
        self.clock = instant

    def _apply(self, event: dict[str, Any], number: int | None) -> None:
        assert self.clock is not None
        serial = str(event["serial"])
        # An event arrives when the replay's clock says: a hold period counts from there.
        outcome = apply_event(self.states.get(serial), event, self.clock, self.catalog, self.policy, self.clock)
        if outcome.rejection is not None:
            self.rejected.append({"line": number, "event_id": event["event_id"], "reason": outcome.rejection})
        elif outcome.holds_changed and outcome.state is not None:
            held = {hold.event_id for hold in outcome.state.holds}
            if event["event_id"] in held:
                self._held_lines[event["event_id"]] = number
        self._take(serial, outcome)
        for derived in outcome.derived:
            self._apply(derived, number)

    def _take(self, serial: str, outcome: Outcome) -> None:
        if outcome.state is None:
            return
        for event, reason in outcome.refused:  # accepted earlier, refused now (R14a)
            line = self._held_lines.pop(event["event_id"], None)
            self.rejected.append({"line": line, "event_id": event["event_id"], "reason": reason})
        self.states[serial] = outcome.state
        self.notice_count += len(outcome.notices)
        self.case_decisions.extend(outcome.decisions)
        if self.on_notice is None:
            self.notices.extend(outcome.notices)
        else:
            for notice in outcome.notices:
                self.on_notice(notice)
        if outcome.snapshot is not None:
            self._serials_by_family.setdefault(outcome.snapshot["product"]["family"], set()).add(serial)
        self._schedule(serial)

    def _schedule(self, serial: str) -> None:
        due = next_due(self.states[serial], self.catalog, self.policy)
        if due is not None and self._scheduled.get(serial) != due:
            self._scheduled[serial] = due
            heapq.heappush(self._due, (due, serial))

    def _record_release(self, release: Release) -> None:
        if release in self.releases:
            return
        self.releases.add(release)
        self.catalog = catalog_from_releases(self.releases)
        for serial in sorted(self._serials_by_family.get(release.family, ())):
            self._schedule(serial)

    def snapshots(self) -> Iterator[dict[str, Any]]:
        """The current snapshot of every serial that has one, by serial."""
        states = self.states
        return (snapshot for serial in sorted(states) if (snapshot := states[serial].snapshot) is not None)

    def held(self) -> Iterator[dict[str, Any]]:
        """The events still waiting for their serial's purchase or registration, by serial."""
        return (
            {"serial": serial, **hold.document()}
            for serial in sorted(self.states)
            for hold in self.states[serial].holds
        )

    def document(self) -> dict[str, Any]:
        """The replay's result as docs/architecture.md (`lifecycle replay`) gives it."""
        return {
            "as_of": iso_instant(self.clock) if self.clock else None,
            "entitlements": list(self.snapshots()),
            "notices": self.notices,
            "rejected": self.rejected,
            "held": list(self.held()),
            "case_decisions": self.case_decisions,
        }


_SHARED_FIELDS = ("type", "source", "channel", "product", "license", "price", "schema_version")


def _event_id_of(line: str) -> str | None:
    try:
        document = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    value = document.get("event_id") if isinstance(document, dict) else None
    return value if isinstance(value, str) else None


class _Counted:
    """An iterable of lines that counts them as they are read."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = lines
        self.lines = 0

    def __iter__(self) -> Iterator[str]:
        for line in self._lines:
            self.lines += 1
            yield line


def replay_events(lines: Iterable[str], as_of: datetime | None, policy: Policy | None = None) -> dict[str, Any]:
    """Replay JSON lines and return the result document; `as_of` None means now."""
    return run_replay(Replay(policy or Policy()), lines, as_of).document()


def run_replay(replay: Replay, lines: Iterable[str], as_of: datetime | None) -> Replay:
    """Feed every non-blank line, then advance the clock to `as_of` (None: now)."""
    # The states hold millions of small acyclic objects: the cyclic collector's full scans cost more
    # than all the rules, and it has nothing to free here.
    gc.disable()
    try:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                replay.feed_line(line, number)
        replay.advance_to(as_of or datetime.now(UTC))
        return replay
    finally:
        gc.enable()


def write_document(out: IO[bytes], replay: Replay, notice_lines: Iterable[bytes]) -> None:
    """The result document, one entitlement, notice or refusal per line, written as it goes."""
    as_of = orjson.dumps(iso_instant(replay.clock) if replay.clock else None)
    out.write(b'{\n  "as_of": ' + as_of + b",\n")
    _write_array(out, "entitlements", (orjson.dumps(snapshot) for snapshot in replay.snapshots()), b",")
    _write_array(out, "notices", (line.rstrip(b"\n") for line in notice_lines), b",")
    _write_array(out, "rejected", (orjson.dumps(item) for item in replay.rejected), b",")
    _write_array(out, "held", (orjson.dumps(item) for item in replay.held()), b",")
    _write_array(out, "case_decisions", (orjson.dumps(item) for item in replay.case_decisions), b"")
    out.write(b"}\n")


def _write_array(out: IO[bytes], name: str, items: Iterable[bytes], after: bytes) -> None:
    out.write(b'  "' + name.encode() + b'": [')
    separator = b"\n    "
    for item in items:
        out.write(separator + item)
        separator = b",\n    "
    out.write((b"\n  ]" if separator != b"\n    " else b"]") + after + b"\n")


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

        counted = _Counted(source)
        replay = run_replay(Replay(policy, keep), counted, args.as_of)
        # What the replay holds lives until the process ends: the collector need not scan it while writing.
        gc.freeze()
        elapsed = time.perf_counter() - started
        spool.seek(0)
        write_document(sys.stdout.buffer, replay, spool)
    sys.stdout.buffer.flush()
    if args.stats:
        import resource

        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rate = counted.lines / elapsed if elapsed else 0.0
        print(
            f"replayed {counted.lines} lines in {elapsed:.2f} s ({rate:,.0f} events/s); "
            f"{replay.notice_count} notices; peak memory {peak_mib:.0f} MiB",
            file=sys.stderr,
        )
    if replay.events and len(replay.rejected) == replay.events:
        first = replay.rejected[0]
        reason = " ".join(str(first["reason"]).split())
        raise UserError(
            f"no event was accepted: {replay.events} rejected, the first on line {first['line']} ({reason}); "
            "see `rejected` in the output"
        )
    return 0
