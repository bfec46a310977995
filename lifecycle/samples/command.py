"""`lifecycle samples`: write the sample event stream, or a large synthetic one, as JSON lines."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from typing import Any, BinaryIO

import orjson

from lifecycle.arguments import positive_int
from lifecycle.input_files import shown
from lifecycle.interrupts import interrupts
from lifecycle.samples import build_sample, synthetic_events
from lifecycle.samples.out_file import write_whole


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="-", help="file to write (default: standard output)")
    parser.add_argument(
        "--synthetic", type=positive_int, metavar="N", help="write N synthetic events instead of the sample"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the synthetic stream")


def write_jsonl(events: Iterable[dict[str, Any]], out: BinaryIO) -> int:
    """Write events one per line; return how many."""
    count = 0
    for event in events:
        out.write(orjson.dumps(event) + b"\n")
        count += 1
    return count


def run(args: argparse.Namespace) -> int:
    events = synthetic_events(args.synthetic, args.seed) if args.synthetic else build_sample()
    if args.out == "-":
        write_jsonl(events, sys.stdout.buffer)
        return 0
    with interrupts():  # SIGTERM too removes the part written so far
        count = write_whole(args.out, lambda out: write_jsonl(events, out))
    print(f"wrote {count} events to {shown(args.out)}", file=sys.stderr)
    return 0
