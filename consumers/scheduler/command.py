"""`lifecycle scheduler`: sweep PostgreSQL for what falls due and emit tick events (APScheduler 3).

`--once [--as-of T]` runs one sweep as of T (default now; held events count as waited until T, so a
later T passes the LIFECYCLE_HOLD_DAYS hold period) and prints its summary as JSON;
`--dry-run` prints the ticks instead of publishing them and leaves the watermark alone.
Without `--once` it sweeps every LIFECYCLE_SCHEDULER_INTERVAL seconds until SIGTERM. One sweep runs at a time
per database (`lock.sweep_lock`): a run that finds another scheduler sweeping is skipped with one INFO line
(`--once` prints `"skipped"`), since that sweep covers its window.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
from datetime import UTC, datetime
from typing import Any

from kafka import KafkaProducer
from psycopg2.extensions import connection as Connection  # noqa: N812 - the driver's own class name

from consumers.database import DatabaseUnavailableError, connect, process_dsn, process_setting
from consumers.privileges import check_privileges
from consumers.scheduler.lock import lock_holder, sweep_lock
from consumers.scheduler.publisher import TickPublisher
from consumers.scheduler.sweep import SweepReport, find_due_ticks, sweep
from consumers.signals import stop_on_signals
from lifecycle import metrics, topics
from lifecycle.admin import require_topics
from lifecycle.arguments import instant
from lifecycle.errors import UserError
from lifecycle.groups import kafka_name
from lifecycle.kafka_config import kafka_python_config
from lifecycle.settings import Settings

log = logging.getLogger(__name__)

COMPONENT = "scheduler"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `lifecycle scheduler`."""
    parser.add_argument("--once", action="store_true", help="run one sweep and exit")
    parser.add_argument("--as-of", type=instant, help="with --once: sweep as of this RFC 3339 instant (default now)")
    parser.add_argument("--since", type=instant, help="with --once: sweep from this instant, not the watermark")
    parser.add_argument("--dry-run", action="store_true", help="with --once: print the ticks, publish nothing")


def _producer(settings: Settings) -> KafkaProducer:
    client_id = kafka_name(settings.topic_prefix, COMPONENT)
    return KafkaProducer(
        acks="all", enable_idempotence=True, linger_ms=5, client_id=client_id, **kafka_python_config(settings)
    )


def sweep_once(
    settings: Settings, producer: KafkaProducer, as_of: datetime, since: datetime | None = None
) -> SweepReport | None:
    """One sweep with a fresh database connection; None when another scheduler is sweeping (this run is skipped)."""
    connection = connect(process_dsn(settings, COMPONENT), "lifecycle-scheduler")
    try:
        with sweep_lock(connection) as alone:
            if not alone:
                _log_skip(connection)
                return None
            publish = TickPublisher(producer, settings.topic(topics.TICKS.suffix))
            return sweep(connection, publish, settings.policy(), as_of, since)
    finally:
        connection.close()


def _log_skip(connection: Connection) -> None:
    """One line for a run skipped: who sweeps; a warning when that session looks like a sweep whose client is gone."""
    holder, stale = lock_holder(connection)
    if stale:
        log.warning(
            "the sweep lock is held by %s, idle between statements as no sweep is: its client is gone; PostgreSQL "
            "ends it once its keepalives fail, or end it now with `SELECT pg_terminate_backend(<pid>)`; runs skipped",
            holder,
        )
    else:  # another replica, or a sweep that outlived its process's restart: it covers this window too
        log.info("another scheduler is sweeping this database (%s): this run is skipped", holder)


def _run_once(settings: Settings, args: argparse.Namespace) -> dict[str, Any]:
    as_of = args.as_of or datetime.now(UTC)
    if args.dry_run:
        connection = connect(process_dsn(settings, COMPONENT), "lifecycle-scheduler")
        try:
            found, _ = find_due_ticks(connection, settings.policy(), as_of, args.since)
        finally:
            connection.close()
        return {**found.summary(), "published": False, "tick_events": found.ticks}
    producer = _producer(settings)
    try:
        report = sweep_once(settings, producer, as_of, args.since)
    finally:
        producer.close(timeout=10)
    if report is None:
        return {"as_of": as_of.isoformat(), "skipped": "another scheduler is sweeping", "published": False}
    return {**report.summary(), "published": True}


def _check_database(settings: Settings) -> None:
    """Refuse to start on a wrong DSN or missing rights (UserError); an unreachable database is logged, retried."""
    try:
        connection = connect(
            process_dsn(settings, COMPONENT), "lifecycle-scheduler", process_setting(settings, COMPONENT)
        )
    except DatabaseUnavailableError as exc:
        log.warning("%s; the scheduler retries at each interval", exc)
        return
    try:
        check_privileges(connection, COMPONENT)
    finally:
        connection.close()


def _run_forever(settings: Settings) -> None:
    from apscheduler.schedulers.blocking import BlockingScheduler

    producer = _producer(settings)
    scheduler = BlockingScheduler(timezone=UTC)

    def job() -> None:
        try:
            sweep_once(settings, producer, datetime.now(UTC))
        except Exception as exc:  # any failure: log it and let the next interval retry
            # The watermark did not move: the next sweep covers this window too.
            log.error("sweep failed, retried at the next interval: %s", exc)
        metrics.beat(COMPONENT)

    stop_on_signals(lambda: scheduler.shutdown(wait=False))
    scheduler.add_job(
        job,
        "interval",
        seconds=settings.scheduler_interval,
        next_run_time=datetime.now(UTC),
        max_instances=1,
        coalesce=True,
        id="sweep",
    )
    log.info("scheduler: a sweep every %.0fs to %s", settings.scheduler_interval, settings.topic(topics.TICKS.suffix))
    try:
        scheduler.start()
    finally:
        with contextlib.suppress(Exception):
            producer.close(timeout=10)


def run(args: argparse.Namespace) -> int:
    """Sweep once (printing a JSON summary) or on an interval until stopped."""
    settings = Settings.from_env()
    if not args.once and (args.as_of or args.since or args.dry_run):
        raise UserError("--as-of, --since and --dry-run need --once")
    if args.since is not None and args.since > (args.as_of or datetime.now(UTC)):
        until = f"--as-of {args.as_of.isoformat()}" if args.as_of else "now"
        raise UserError(f"--since {args.since.isoformat()} is later than {until}: a sweep runs from --since to --as-of")
    if not args.dry_run:
        require_topics(settings, (topics.TICKS,))
    if args.once:
        print(json.dumps(_run_once(settings, args), indent=None))
        return 0
    _check_database(settings)
    # The loop beats once a sweep: live while the last sweep ended within three intervals.
    metrics.serve(COMPONENT, settings, live_within=max(settings.health_live_seconds, 3 * settings.scheduler_interval))
    _run_forever(settings)
    return 0
