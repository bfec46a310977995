"""Liveness and readiness verdicts from a component's recorded progress (lifecycle/health.py)."""

from __future__ import annotations

from lifecycle.health import Progress, liveness, readiness

T0 = 1_780_000_000.0  # 2026-05-28T20:26:40Z


def _progress(**changes: object) -> Progress:
    fields: dict[str, object] = {"component": "store", "started_at": T0, "live_within": 60.0, **changes}
    return Progress(**fields)  # type: ignore[arg-type]


def test_a_loop_that_beat_recently_is_live_and_ready() -> None:
    progress = _progress(last_beat=T0 + 100)
    live, ready = liveness(progress, T0 + 110), readiness(progress, T0 + 110)
    assert (live.code, live.body["status"]) == (200, "live")
    assert (ready.code, ready.body["status"]) == (200, "ready")
    assert live.body == {
        "status": "live",
        "component": "store",
        "last_progress_at": "2026-05-28T20:28:20.000Z",
        "detail": "main loop beat 10.0 s ago",
    }


def test_a_loop_silent_past_the_window_is_stalled_for_both_probes() -> None:
    progress = _progress(last_beat=T0 + 100)
    for verdict in (liveness(progress, T0 + 161), readiness(progress, T0 + 161)):
        assert verdict.code == 503
        assert verdict.body["status"] == "stalled"
        assert verdict.body["detail"] == "no main-loop beat for 61 s (limit 60 s)"
        assert verdict.body["last_progress_at"] == "2026-05-28T20:28:20.000Z"


def test_the_window_edge_is_still_live() -> None:
    assert liveness(_progress(last_beat=T0), T0 + 60).code == 200


def test_before_its_first_beat_a_process_is_live_but_not_ready() -> None:
    progress = _progress()
    live, ready = liveness(progress, T0 + 5), readiness(progress, T0 + 5)
    assert (live.code, live.body["status"], live.body["last_progress_at"]) == (200, "starting", None)
    assert (ready.code, ready.body["status"]) == (503, "starting")
    assert ready.body["detail"] == "waiting for the main loop's first beat"


def test_a_start_that_never_reaches_the_loop_stalls_after_the_window() -> None:
    verdict = liveness(_progress(), T0 + 90)
    assert (verdict.code, verdict.body["status"]) == (503, "stalled")
    assert verdict.body["detail"] == "no main-loop beat since the start for 90 s (limit 60 s)"


def test_a_stuck_report_fails_both_probes_however_recent_the_beat() -> None:
    progress = _progress(last_beat=T0 + 100, stuck="rereading a gap at t.purchases[3] offset 41")
    for verdict in (liveness(progress, T0 + 101), readiness(progress, T0 + 101)):
        assert (verdict.code, verdict.body["status"]) == (503, "not processing")
        assert verdict.body["detail"] == "rereading a gap at t.purchases[3] offset 41"


def test_a_not_ready_report_fails_readiness_only() -> None:
    progress = _progress(last_beat=T0 + 100, not_ready="reading the releases catalog")
    assert liveness(progress, T0 + 101).code == 200
    ready = readiness(progress, T0 + 101)
    assert (ready.code, ready.body["status"], ready.body["detail"]) == (
        503,
        "not ready",
        "reading the releases catalog",
    )


def test_a_clock_step_back_counts_as_a_fresh_beat() -> None:
    verdict = liveness(_progress(last_beat=T0 + 100), T0 + 90)
    assert (verdict.code, verdict.body["detail"]) == (200, "main loop beat 0.0 s ago")
