"""Whether a process is live (its main loop turns) and ready (started and turning), from its recorded progress.

Pure: every verdict is computed from a `Progress` and the time passed in. The HTTP side is
lifecycle/health_http.py; processes record their progress through lifecycle/metrics.py (`beat`,
`report_stuck`, `report_ready`).

- live: the main loop beat within `live_within` seconds (before its first beat, the time it started
  counts) and nothing reported it stuck. An idle loop is live: it beats on every poll.
- ready: live, the loop beat at least once since the process started (topics checked, clients
  connected), and nothing reported it not ready (e.g. the worker still reads the releases catalog).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

OK = 200
UNAVAILABLE = 503


@dataclass(frozen=True)
class Progress:
    """What a component recorded: when it started, its last main-loop beat, and what it reported."""

    component: str
    started_at: float
    live_within: float
    last_beat: float | None = None
    stuck: str | None = None  # why the loop turns without processing (report_stuck)
    not_ready: str | None = None  # why it should not count as ready yet (report_ready)


@dataclass(frozen=True)
class Verdict:
    """An HTTP status code and its JSON body."""

    code: int
    body: dict[str, Any]


def _instant(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _body(progress: Progress, status: str, detail: str) -> dict[str, Any]:
    return {
        "status": status,
        "component": progress.component,
        "last_progress_at": _instant(progress.last_beat),
        "detail": detail,
    }


def liveness(progress: Progress, now: float) -> Verdict:
    """/healthz: 200 while the main loop beats and is not stuck; 503 with the reason otherwise."""
    if progress.stuck is not None:
        return Verdict(UNAVAILABLE, _body(progress, "not processing", progress.stuck))
    since = progress.last_beat if progress.last_beat is not None else progress.started_at
    age = max(0.0, now - since)
    if age > progress.live_within:
        what = "main-loop beat" if progress.last_beat is not None else "main-loop beat since the start"
        detail = f"no {what} for {age:.0f} s (limit {progress.live_within:.0f} s)"
        return Verdict(UNAVAILABLE, _body(progress, "stalled", detail))
    if progress.last_beat is None:
        return Verdict(OK, _body(progress, "starting", f"started {age:.1f} s ago, no main-loop beat yet"))
    return Verdict(OK, _body(progress, "live", f"main loop beat {age:.1f} s ago"))


def readiness(progress: Progress, now: float) -> Verdict:
    """/readyz: 200 once live, past its first main-loop beat and not reported unready; 503 with the reason."""
    live = liveness(progress, now)
    if live.code != OK:
        return live
    if progress.last_beat is None:
        return Verdict(UNAVAILABLE, _body(progress, "starting", "waiting for the main loop's first beat"))
    if progress.not_ready is not None:
        return Verdict(UNAVAILABLE, _body(progress, "not ready", progress.not_ready))
    return Verdict(OK, _body(progress, "ready", live.body["detail"]))
