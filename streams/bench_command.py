"""`lifecycle bench NAME`: run a benchmark on the configured broker and print its figures."""

from __future__ import annotations

import argparse
import logging
import secrets

from lifecycle.arguments import positive_int
from lifecycle.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", choices=["processor"], help="which benchmark to run")
    parser.add_argument(
        "--events", type=positive_int, default=200_000, help="synthetic events to process (default 200000)"
    )
    parser.add_argument("--seed", type=int, default=7, help="seed of the synthetic stream")


def run(args: argparse.Namespace) -> int:
    from streams.bench import run_processor_bench

    # Each passthrough run joins a group of its own: aiokafka's join lines, every partition named, bury the figures.
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    # The benchmark keeps both cores busy on purpose: kafka-python's network thread, preempted, then reports its
    # steps as "blocking the event loop" by wall time, which says nothing of the processor's figures.
    logging.getLogger("kafka.net.selector").setLevel(logging.ERROR)
    # A prefix of the run's own: the benchmark creates its topics and deletes them afterwards.
    settings = Settings.from_env().replace(topic_prefix=f"bench{secrets.token_hex(4)}")
    print(
        f"lifecycle bench {args.name}: {args.events} events on {','.join(settings.kafka_bootstrap)}, "
        f"prefix {settings.topic_prefix}",
        flush=True,
    )
    figures = run_processor_bench(settings, args.events, args.seed)
    width = max(len(name) for name in figures)
    for name, value in figures.items():
        print(f"{name:<{width}}  {value:,.3f}" if isinstance(value, float) else f"{name:<{width}}  {value:,}")
    print(headline(figures))
    return 0


def headline(figures: dict[str, float]) -> str:
    """The run in one line: the ratio against the passthrough's median, its range, and both CPU costs per event."""
    from streams.bench_passthrough import PASSTHROUGH_RUNS

    runs = [figures[f"passthrough_{run}_events_per_s"] for run in PASSTHROUGH_RUNS]
    rate, median = figures["processor_events_per_s"], figures["passthrough_events_per_s"]
    shown = " / ".join(f"{value:,.0f}" for value in runs)
    return (
        f"processor {rate:,.0f} events/s = {figures['ratio']:.3f} x the passthrough's median {median:,.0f} events/s "
        f"(runs {shown}: {figures['ratio_low']:.3f}-{figures['ratio_high']:.3f}); "
        f"worker CPU {figures['worker_cpu_us_per_event']:,.0f} us/event = "
        f"{figures['cpu_ratio']:.3f} x the passthrough's {figures['passthrough_cpu_us_per_event']:,.0f}"
    )
