"""A backfill: the notices of 1,000 purchases made two to three years ago, replayed to today, mail no old news (R17)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time
from typing import Any

import orjson
import psycopg2
from kafka import KafkaProducer
from smtp_sink import SmtpSink

from consumers.notifier.app import Notifier
from consumers.notifier.handler import utc_now
from consumers.notifier.message import message_id
from lifecycle.kafka_config import kafka_python_config
from lifecycle.replay import replay_events
from lifecycle.samples.events import purchase
from lifecycle.settings import Settings

PURCHASES = 1000
# (product, version, license type, term in months): 24- and 36-month terms end around today, so some notices are fresh.
OFFERS: tuple[tuple[str, str, str, int | None], ...] = (
    ("backup-advanced", "12.5", "perpetual", None),  # Business: a year of Advantage Premier
    ("true-image", "2026", "subscription", 12),
    ("true-image", "2026", "subscription", 24),
    ("true-image", "2026", "subscription", 36),
    ("disk-director", "13", "perpetual", None),  # Home perpetual: no expiry
)


def backfill_lines(today: date) -> list[str]:
    """One online-store purchase a day or so, from three years before `today` to two years before it."""
    lines = []
    for number in range(PURCHASES):
        name, version, license_type, term = OFFERS[number % len(OFFERS)]
        day = today - timedelta(days=730 + number * 365 // PURCHASES)
        event = purchase(
            f"backfill-{number}",
            datetime.combine(day, day_time(10), UTC),
            f"BF-{number:04d}",
            f"acct-bf-{number}",
            name,
            version,
            license_type=license_type,
            term_months=term,
            contact={"email": f"bf-{number}@customers.example.com", "name": f"Customer {number}"},
        )
        lines.append(orjson.dumps(event).decode())
    return lines


def still_news(notice: dict[str, Any], today: date, max_age_days: int) -> bool:
    """The test's own statement of R17: due at most `max_age_days` ago and, for a reminder, support not yet ended."""
    if notice["kind"] == "expiry_reminder" and date.fromisoformat(notice["data"]["expires_on"]) <= today:
        return False
    return today - date.fromisoformat(notice["due_on"]) <= timedelta(days=max_age_days)


def ledger_counts(settings: Settings) -> dict[tuple[str, str | None], int]:
    """(status, skip_reason) → rows."""
    with psycopg2.connect(settings.database_url.get_secret_value()) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT status, skip_reason, count(*) FROM delivery_ledger GROUP BY status, skip_reason")
        counts = {(status, reason): count for status, reason, count in cursor.fetchall()}
    connection.close()
    return counts


def test_a_backfill_mails_only_what_is_still_news(
    smtp: tuple[SmtpSink, int], smtp_settings: Settings, start_notifier: Callable[..., Notifier]
) -> None:
    sink, _ = smtp
    started = time.monotonic()
    now = datetime.now(UTC)
    today, max_age = now.date(), smtp_settings.notice_max_age_days
    notices = replay_events(backfill_lines(today), now)["notices"]
    fresh = [notice for notice in notices if still_news(notice, today, max_age)]
    producer = KafkaProducer(acks="all", linger_ms=20, **kafka_python_config(smtp_settings))
    for notice in notices:
        producer.send(smtp_settings.topic("notices"), key=notice["serial"].encode(), value=orjson.dumps(notice))
    producer.flush(60)
    producer.close()

    start_notifier(smtp_settings, now=utc_now)  # the wall clock, as in production

    deadline = time.monotonic() + 50
    while sum(n for (status, _), n in ledger_counts(smtp_settings).items() if status in {"sent", "skipped"}) < len(
        notices
    ):
        assert time.monotonic() < deadline, f"ledger after 50 s: {ledger_counts(smtp_settings)}"
        time.sleep(0.5)
    messages = sink.wait_for(len(fresh), timeout=10)
    by_message_id = {message_id(notice["notice_id"], smtp_settings.mail_from): notice for notice in notices}
    mailed = [by_message_id[str(message["Message-ID"])] for message in messages]
    counts = ledger_counts(smtp_settings)
    skipped = {reason: count for (status, reason), count in counts.items() if status == "skipped"}

    old_news = [notice["notice_id"] for notice in mailed if not still_news(notice, today, max_age)]
    assert old_news == []
    assert sorted(notice["notice_id"] for notice in mailed) == sorted(notice["notice_id"] for notice in fresh)
    assert counts.get(("sent", None), 0) == len(fresh) > 0
    assert sum(skipped.values()) == len(notices) - len(fresh)
    assert set(skipped) == {"expiry_passed", "too_old"}
    assert len(notices) > 3 * PURCHASES
    print(
        f"\nbackfill as of {today} (max age {max_age} days): {PURCHASES} purchases, {len(notices)} notices"
        f" {dict(sorted(Counter(n['kind'] for n in notices).items()))};"
        f" sent {len(messages)} {dict(sorted(Counter(n['kind'] for n in mailed).items()))};"
        f" skipped {sum(skipped.values())} {dict(sorted(skipped.items()))}; {time.monotonic() - started:.1f} s"
    )
