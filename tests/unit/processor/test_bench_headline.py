"""The processor benchmark's one-line summary."""

from __future__ import annotations

from streams.bench_command import headline


def test_the_headline_gives_the_ratio_to_the_median_the_runs_and_both_cpu_costs_per_event() -> None:
    figures = {
        "events": 20_000,
        "processor_events_per_s": 5_000.0,
        "passthrough_events_per_s": 25_000.0,
        "passthrough_before_events_per_s": 20_000.0,
        "passthrough_after_events_per_s": 25_000.0,
        "passthrough_last_events_per_s": 40_000.0,
        "ratio": 0.2,
        "ratio_low": 0.125,
        "ratio_high": 0.25,
        "worker_cpu_us_per_event": 131.4,
        "passthrough_cpu_us_per_event": 32.9,
        "cpu_ratio": 0.2504,
        "latency_p99_ms": 327.0,
    }
    assert headline(figures) == (
        "processor 5,000 events/s = 0.200 x the passthrough's median 25,000 events/s "
        "(runs 20,000 / 25,000 / 40,000: 0.125-0.250); worker CPU 131 us/event = 0.250 x the passthrough's 33"
    )
