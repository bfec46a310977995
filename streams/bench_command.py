"""`lifecycle bench NAME`: run a benchmark on the configured broker and print its figures."""

from __future__ import annotations

import argparse
import secrets

from lifecycle.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", choices=["processor"], help="which benchmark to run")
    parser.add_argument("--events", type=int, default=200_000, help="synthetic events to process (default 200000)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the synthetic stream")


def run(args: argparse.Namespace) -> int:
    from streams.bench import run_processor_bench

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
    return 0
