"""The per-recipient daily cap against real PostgreSQL, Kafka and SMTP; recipients masked in what is recorded."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import orjson
import psycopg2
from notifier_helpers import business_notice, wait_until
from prometheus_client import REGISTRY
from smtp_sink import SmtpSink

from consumers.database import admin_dsn
from consumers.db import MIGRATION_TABLE, MIGRATIONS_DIR
from consumers.notifier.app import Notifier
from consumers.notifier.ledger import PostgresLedger
from consumers.notifier.ledger_port import RECIPIENT_CAP
from lifecycle.settings import Settings

ADDRESS = "robin.quill@example.com"
LedgerRows = Callable[[], dict[str, dict[str, Any]]]


def _notice(number: int, email: str = ADDRESS) -> dict[str, Any]:
    return business_notice(
        "support_started", serial=f"SN-CAP-{number}", recipient={"email": email, "name": "Robin Quill"}
    )


def _execute(settings: Settings, statement: str, *parameters: Any) -> list[tuple[Any, ...]]:
    connection = psycopg2.connect(settings.database_url.get_secret_value())
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement, parameters)
            return cursor.fetchall() if cursor.description else []
    finally:
        connection.close()


def _skipped(kind: str) -> float:
    return REGISTRY.get_sample_value("lifecycle_notices_skipped_total", {"kind": kind, "reason": RECIPIENT_CAP}) or 0.0


def test_parallel_notifiers_never_claim_more_than_the_cap(migrated: Settings) -> None:
    notices = [_notice(number, ADDRESS if number % 2 else ADDRESS.upper()) for number in range(8)]
    ledgers = [PostgresLedger(migrated.database_url.get_secret_value()) for _ in notices]
    start = threading.Barrier(len(notices))
    granted: list[bool] = []

    def claim(ledger: PostgresLedger, notice: dict[str, Any]) -> None:
        ledger.begin(notice)
        start.wait()
        granted.append(ledger.claim_recipient(notice["notice_id"], notice["data"]["recipient"]["email"], 3))

    threads = [threading.Thread(target=claim, args=pair) for pair in zip(ledgers, notices, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    for ledger in ledgers:
        ledger.close()

    assert sorted(granted) == [False] * 5 + [True] * 3


def test_sent_and_delivering_notices_of_today_count_and_the_others_do_not(migrated: Settings) -> None:
    ledger = PostgresLedger(migrated.database_url.get_secret_value())
    first, failed, third, fourth = (_notice(number) for number in range(4))
    try:
        for notice in (first, failed, third, fourth):
            ledger.begin(notice)
        assert ledger.claim_recipient(first["notice_id"], ADDRESS, 2)
        ledger.record_sent(first["notice_id"], "smtp", "<1@example.com>", ADDRESS)
        assert ledger.claim_recipient(failed["notice_id"], ADDRESS, 2)
        assert not ledger.claim_recipient(third["notice_id"], ADDRESS, 2)  # the one still being delivered counts
        assert ledger.claim_recipient(failed["notice_id"], ADDRESS, 2)  # its own retry keeps its place

        ledger.record_dead_letter(failed["notice_id"], "delivery refused")  # never sent: its place is free again
        assert ledger.claim_recipient(third["notice_id"], ADDRESS, 2)
        assert not ledger.claim_recipient(fourth["notice_id"], ADDRESS, 2)

        _execute(migrated, "UPDATE delivery_ledger SET counted_on = counted_on - 1")  # they were yesterday's
        assert ledger.claim_recipient(fourth["notice_id"], ADDRESS, 2)
    finally:
        ledger.close()


def test_the_notifier_sends_up_to_the_cap_and_skips_the_rest_across_a_restart(
    smtp: tuple[SmtpSink, int],
    smtp_settings: Settings,
    start_notifier: Callable[..., Notifier],
    produce_notice: Callable[[dict[str, Any]], None],
    ledger_rows: LedgerRows,
) -> None:
    sink, _ = smtp
    settings = smtp_settings.replace(notice_daily_cap_per_recipient=2)
    notices = [_notice(number) for number in range(4)]
    before = _skipped("support_started")
    first = start_notifier(settings)
    for notice in notices[:3]:
        produce_notice(notice)
    wait_until(lambda: len([r for r in ledger_rows().values() if r["status"] in {"sent", "skipped"}]) == 3, "3 done")
    first.stop.set()
    wait_until(lambda: first.consumer._closed, "the first notifier stopped")

    start_notifier(settings)  # a new process knows nothing but what the ledger says
    produce_notice(notices[3])
    wait_until(lambda: ledger_rows().get(notices[3]["notice_id"], {}).get("status") == "skipped", "4th skipped")

    assert len(sink.messages) == 2
    rows = _execute(
        settings,
        "SELECT status, skip_reason, last_error FROM delivery_ledger WHERE status = 'skipped' ORDER BY notice_id",
    )
    assert {row[:2] for row in rows} == {("skipped", RECIPIENT_CAP)}
    assert len(rows) == 2
    assert all(ADDRESS not in row[2] and "r***@example.com" in row[2] for row in rows)
    assert _skipped("support_started") == before + 2


def test_a_refused_recipient_is_masked_in_the_dead_letter_and_the_ledger(
    smtp: tuple[SmtpSink, int],
    smtp_notifier: Settings,
    produce_notice: Callable[[dict[str, Any]], None],
    ledger_rows: LedgerRows,
    read_topic: Callable[..., list[tuple[bytes | None, bytes | None]]],
) -> None:
    sink, _ = smtp
    sink.refused_recipients.add(ADDRESS)
    notice = _notice(1)

    produce_notice(notice)

    wait_until(lambda: ledger_rows().get(notice["notice_id"], {}).get("status") == "dead_lettered", "dead-lettered")
    ((_, value),) = read_topic(smtp_notifier, "deadletter")
    reason = orjson.loads(value or b"{}")["reason"]
    assert reason == "delivery refused: recipient refused: r***@example.com: 550 5.1.1 no such user"
    assert ledger_rows()[notice["notice_id"]]["last_error"] == reason


def test_the_migration_rolls_back_capped_rows_to_dead_lettered_and_applies_again(migrated: Settings) -> None:
    from yoyo import read_migrations
    from yoyo.backends import get_backend_class
    from yoyo.connections import parse_uri

    ledger = PostgresLedger(migrated.database_url.get_secret_value())
    notice = _notice(1)
    try:
        ledger.begin(notice)
        ledger.record_skipped(notice["notice_id"], RECIPIENT_CAP, "r***@example.com already has 2 notices")
    finally:
        ledger.close()
    uri = parse_uri(admin_dsn(migrated))._replace(scheme="postgresql")
    uri = uri._replace(args={**uri.args, "options": f"-c role={migrated.db_owner_role}"})  # as `db migrate` does
    backend = get_backend_class("postgresql")(uri, MIGRATION_TABLE)
    ours = read_migrations(str(MIGRATIONS_DIR)).filter(lambda m: m.id == "0012_delivery_ledger_recipient_cap")
    try:
        with backend.lock():
            backend.rollback_migrations(backend.to_rollback(ours))
        rolled_back = _execute(migrated, "SELECT status, skip_reason, last_error FROM delivery_ledger")
        with backend.lock():
            backend.apply_migrations(backend.to_apply(ours))
    finally:
        backend.connection.close()

    assert rolled_back == [("dead_lettered", None, "skipped (recipient_cap): r***@example.com already has 2 notices")]
    ledger = PostgresLedger(migrated.database_url.get_secret_value())
    try:
        assert ledger.claim_recipient(notice["notice_id"], ADDRESS, 1)
        ledger.record_skipped(notice["notice_id"], RECIPIENT_CAP, "judged again")
        assert ledger.begin(notice).status == "skipped"
    finally:
        ledger.close()
