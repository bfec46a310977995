"""`lifecycle worker`: run the stream processor, the single writer of entitlement state."""

from __future__ import annotations

import argparse
import gc
import logging
from typing import Any

import faust

from lifecycle import metrics
from lifecycle.admin import require_topics
from lifecycle.settings import Settings
from lifecycle.topics import RELEASES
from streams.app import INPUTS, OUTPUTS, create_processor, data_dir, group_id
from streams.changelog import ensure_changelog_topic
from streams.stopping import CrashWatch, watch
from streams.transport import ProcessorApp

log = logging.getLogger(__name__)

# Allocations between young collections. At Python's 700 the worker collected every few messages and, as the decoded
# serials and faust's objects outlived them, walked its whole heap every few thousand: a fifth of its time.
GC_YOUNG_THRESHOLD = 50_000


# The log levels faust and logging both know (the name in any case).
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `lifecycle worker`."""
    parser.add_argument(
        "--loglevel", type=str.lower, choices=LOG_LEVELS, default="info", help="faust worker log level (default: info)"
    )


def check_topics(settings: Settings) -> None:
    """Refuse to start unless every topic the processor reads or writes exists with its partition count."""
    require_topics(settings, (*INPUTS, RELEASES, *OUTPUTS))
    ensure_changelog_topic(settings)


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    check_topics(settings)
    data_dir(settings).mkdir(parents=True, exist_ok=True)
    metrics.serve("worker", settings)
    processor = create_processor(settings)
    log.info(
        "processor %s: data in %s, web on %s:%d",
        group_id(settings),
        data_dir(settings),
        settings.web_bind,
        settings.web_port,
    )
    # faust would replace the root handlers with its own (unredacted) ones; keep the setup lifecycle.cli made.
    logging.getLogger().setLevel(args.loglevel.upper())
    worker = faust.Worker(processor.app, loglevel=args.loglevel, redirect_stdouts=False, override_logging=False)
    guard(worker, processor.app)
    tune_gc()
    worker.execute_from_commandline()


def guard(worker: Any, app: ProcessorApp) -> CrashWatch:
    """Watch the worker's services from a thread of its own until the app stops cleanly."""
    # A crashed faust service stops the worker at once, with one line, instead of a stop that can hang.
    watcher = watch(lambda: worker.crash_reason or app.crash_reason)
    app.close_on_stop(watcher.close)
    return watcher


def tune_gc() -> None:
    """Collect cycles less often, and never walk the objects made at start (modules, the app) again."""
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, 20, 20)
