"""R17 against real PostgreSQL, Kafka and SMTP: a stale notice is recorded as skipped, for good, and never sent."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import psycopg2
import psycopg2.errors
import pytest
from notifier_helpers import business_notice, wait_until
from prometheus_client import REGISTRY
from smtp_sink import SmtpSink

from consumers.database import admin_dsn
from consumers.db import MIGRATION_TABLE, MIGRATIONS_DIR
from consumers.notifier.app import Notifier
from consumers.notifier.ledger import PostgresLedger
from consumers.notifier.message import message_id
from lifecycle.settings import Settings

LATER = datetime(2027, 3, 15, 8, 0, tzinfo=UTC)  # 30 days after business_notice's due_on, on its expiry


def _row(settings: Settings, notice_id: str, columns: str = "status, skip_reason, last_error") -> dict[str, Any]:
    connection = psycopg2.connect(settings.database_url.get_secret_value())
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {columns} FROM delivery_ledger WHERE notice_id = %s", (notice_id,))
            names = [column.name for column in cursor.description or ()]
            row = cursor.fetchone()
    finally:
        connection.close()
    assert row is not None, notice_id
    return dict(zip(names, row, strict=True))


def _skipped(kind: str, reason: str) -> float:
    return REGISTRY.get_sample_value("lifecycle_notices_skipped_total", {"kind": kind, "reason": reason}) or 0.0


def test_a_skipped_notice_is_final_in_the_ledger(migrated: Settings) -> None:
    ledger = PostgresLedger(migrated.database_url.get_secret_value())
    notice = business_notice("support_started")
    try:
        assert ledger.begin(notice).status == "pending"
        ledger.record_failure(notice["notice_id"], "SMTP 451")
        ledger.record_skipped(notice["notice_id"], "too_old", "due on 2027-02-13, 30 days before 2027-03-15")
        ledger.record_sent(notice["notice_id"], "smtp", "<id@example.com>", "it-admin@example.com")
        ledger.record_failure(notice["notice_id"], "SMTP 451")
        ledger.record_dead_letter(notice["notice_id"], "too late")
        ledger.record_skipped(notice["notice_id"], "expiry_passed", "a second judgement")

        entry = ledger.begin(notice)
    finally:
        ledger.close()

    assert (entry.status, entry.attempts, entry.done) == ("skipped", 1, True)
    row = _row(migrated, notice["notice_id"])
    assert (row["skip_reason"], row["last_error"]) == ("too_old", "due on 2027-02-13, 30 days before 2027-03-15")
    assert _row(migrated, notice["notice_id"], "sent_at, transport") == {"sent_at": None, "transport": None}


@pytest.mark.parametrize(
    ("status", "reason"),
    [("skipped", None), ("sent", "too_old"), ("skipped", "because")],
)
def test_the_table_refuses_a_skip_without_a_known_reason(migrated: Settings, status: str, reason: str | None) -> None:
    connection = psycopg2.connect(migrated.database_url.get_secret_value())
    try:
        with pytest.raises(psycopg2.errors.CheckViolation), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO delivery_ledger (notice_id, kind, serial, account_id, due_on, status, skip_reason)"
                " VALUES ('n', 'support_started', 'S', 'A', current_date, %s, %s)",
                (status, reason),
            )
    finally:
        connection.close()


def test_the_migration_rolls_back_skipped_rows_to_dead_lettered_and_applies_again(migrated: Settings) -> None:
    from yoyo import read_migrations
    from yoyo.backends import get_backend_class
    from yoyo.connections import parse_uri

    ledger = PostgresLedger(migrated.database_url.get_secret_value())
    notice = business_notice("support_started")
    try:
        ledger.begin(notice)
        ledger.record_skipped(notice["notice_id"], "too_old", "due on 2027-02-13")
    finally:
        ledger.close()
    uri = parse_uri(admin_dsn(migrated))._replace(scheme="postgresql")
    uri = uri._replace(args={**uri.args, "options": f"-c role={migrated.db_owner_role}"})  # as `db migrate` does
    backend = get_backend_class("postgresql")(uri, MIGRATION_TABLE)
    ours = read_migrations(str(MIGRATIONS_DIR)).filter(lambda m: m.id == "0011_delivery_ledger_skipped")
    try:
        with backend.lock():
            backend.rollback_migrations(backend.to_rollback(ours))
        rolled_back = _row(migrated, notice["notice_id"], "status, last_error")
        with backend.lock():
            backend.apply_migrations(backend.to_apply(ours))
    finally:
        backend.connection.close()

    assert rolled_back == {"status": "dead_lettered", "last_error": "skipped (too_old): due on 2027-02-13"}
    assert _row(migrated, notice["notice_id"])["skip_reason"] is None
    ledger = PostgresLedger(migrated.database_url.get_secret_value())
    try:
        ledger.record_skipped(notice["notice_id"], "too_old", "judged again")
        assert ledger.begin(notice).status == "skipped"
    finally:
        ledger.close()


def test_the_notifier_skips_stale_notices_once_and_sends_the_fresh_ones(
    smtp: tuple[SmtpSink, int],
    smtp_settings: Settings,
    start_notifier: Callable[..., Notifier],
    produce_notice: Callable[[dict[str, Any]], None],
) -> None:
    sink, _ = smtp
    settings = smtp_settings.replace(notice_max_age_days=7)
    reminder = business_notice("expiry_reminder", key="2027-03-15:1", lead_days=1)
    reminder["due_on"] = "2027-03-14"
    started = business_notice("support_started", key="2026-03-15")  # due 2027-02-13: 30 days before LATER
    fresh = business_notice("support_expired", key="2027-03-15")
    fresh["due_on"] = "2027-03-15"
    before = (_skipped("expiry_reminder", "expiry_passed"), _skipped("support_started", "too_old"))
    start_notifier(settings, now=lambda: LATER)

    # One serial, one partition: the fresh notice is handled after both stale ones, then again after a redelivery.
    for notice in (reminder, started, fresh, reminder, started):
        produce_notice(notice)
    sentinel = business_notice("renewal_confirmed", key="RO-9", new_expires_on="2028-03-15", renewal_order_id="RO-9")
    sentinel["due_on"] = "2027-03-15"
    produce_notice(sentinel)

    messages = sink.wait_for(2)
    assert [m["Message-ID"] for m in messages] == [
        message_id(fresh["notice_id"], settings.mail_from),
        message_id(sentinel["notice_id"], settings.mail_from),
    ]
    wait_until(lambda: _row(settings, sentinel["notice_id"])["status"] == "sent", "the sentinel recorded as sent")
    assert (_row(settings, reminder["notice_id"])["status"], _row(settings, reminder["notice_id"])["skip_reason"]) == (
        "skipped",
        "expiry_passed",
    )
    assert _row(settings, started["notice_id"])["skip_reason"] == "too_old"
    assert (_skipped("expiry_reminder", "expiry_passed"), _skipped("support_started", "too_old")) == (
        before[0] + 1,
        before[1] + 1,
    )
    assert sink.data_attempts == 2
