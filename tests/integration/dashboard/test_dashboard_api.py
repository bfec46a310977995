"""The dashboard's JSON endpoints against the real broker and PostgreSQL: offsets, lag, figures, dead letters."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from typing import Any

import psycopg2
import pytest
from dashboard_fixtures import TOKEN, Dashboard
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.structs import OffsetAndMetadata

from lifecycle.deadletter import deadletter_record
from lifecycle.groups import STORE
from lifecycle.kafka_config import kafka_python_config
from lifecycle.settings import Settings

HOSTILE = "<img src=x onerror=alert(1)>"


def produce(settings: Settings, suffix: str, records: list[tuple[bytes, bytes]], partition: int | None = None) -> None:
    """Send records to a topic of this test and wait for the broker's acknowledgements."""
    producer = KafkaProducer(acks="all", **kafka_python_config(settings))
    try:
        for key, value in records:
            producer.send(settings.topic(suffix), key=key, value=value, partition=partition)
        producer.flush(timeout=20)
    finally:
        producer.close()


def commit(settings: Settings, group: str, suffix: str, partition: int, offset: int) -> None:
    """Commit an offset for a consumer group, as a consumer that finished up to there would."""
    consumer = KafkaConsumer(group_id=group, enable_auto_commit=False, **kafka_python_config(settings))
    try:
        tp = TopicPartition(settings.topic(suffix), partition)
        consumer.assign([tp])
        consumer.commit({tp: OffsetAndMetadata(offset, "", -1)})
    finally:
        consumer.close()


def topic(overview: dict[str, Any], name: str) -> dict[str, Any]:
    return next(row for row in overview["topics"] if row["name"] == name)


def group(overview: dict[str, Any], name: str) -> dict[str, Any]:
    return next(row for row in overview["groups"] if row["group"] == name)


def insert_figures(pg_dsn: str) -> None:
    """Rows as the store and the notifier write them: 3 active (1 expiring soon), 1 pending, 1 expired; 2 notices."""
    rows = [
        ("S1", "active", "advantage_premier", "business", "2030-01-01"),
        ("S2", "active", "home_subscription", "home", "2030-01-01"),
        ("S3", "active", "advantage_premier", "business", None),
        ("S4", "pending_registration", "none", "business", None),
        ("S5", "expired", "home_subscription", "home", "2020-01-01"),
    ]
    with psycopg2.connect(pg_dsn) as connection, connection.cursor() as cursor:
        for serial, status, program, line, expires in rows:
            cursor.execute(
                "INSERT INTO entitlements (serial, account_id, status, program, line, family, version, channel,"
                " starts_on, expires_on, version_supported, revision, updated_at, document)"
                " VALUES (%s, 'a', %s, %s, %s, 'backup', '12', 'online_store', NULL,"
                " COALESCE(%s::date, NULL), true, 1, now(), '{}')",
                (serial, status, program, line, expires),
            )
        cursor.execute("UPDATE entitlements SET expires_on = current_date + 10 WHERE serial = 'S3'")
        for notice_id, kind in (("n1", "support_started"), ("n2", "support_started")):
            cursor.execute(
                "INSERT INTO delivery_ledger (notice_id, kind, serial, account_id, due_on, status, transport, sent_at)"
                " VALUES (%s, %s, 'S1', 'a', current_date, 'sent', 'outbox', now())",
                (notice_id, kind),
            )
    connection.close()


def test_every_request_without_the_token_is_refused(dashboard: Dashboard) -> None:
    paths = ("/", "/api/overview", "/api/deadletters", "/api/topics", "/api/figures")
    for path in paths:
        assert dashboard.get(path, token=None)[0] == 401, path
    for path in paths[:4]:  # four wrong tokens: one short of the lockout
        assert dashboard.get(path, token="wrong")[0] == 401, path
    assert dashboard.get("/api/overview")[0] == 200


def test_wrong_tokens_lock_the_client_out(dashboard: Dashboard) -> None:
    statuses = [dashboard.get("/api/overview", token=f"guess-{i}")[0] for i in range(6)]
    assert statuses == [401] * 5 + [429]
    status, body = dashboard.get("/api/overview")
    assert status == 429  # the right token too, until the lockout ends
    assert body["error"].startswith("too many wrong tokens from this address")


def test_login_form_sets_an_http_only_cookie(dashboard: Dashboard) -> None:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    wrong = urllib.parse.urlencode({"token": "nope"}).encode()
    with pytest.raises(urllib.error.HTTPError) as refused:
        opener.open(dashboard.url + "/login", data=wrong, timeout=10)
    assert refused.value.code == 401
    right = urllib.parse.urlencode({"token": TOKEN}).encode()
    request = urllib.request.Request(dashboard.url + "/login", data=right)
    no_redirect = urllib.request.build_opener(NoRedirect())
    with pytest.raises(urllib.error.HTTPError) as answer:
        no_redirect.open(request, timeout=10)
    assert answer.value.code == 303
    cookie = answer.value.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert TOKEN not in cookie
    with opener.open(dashboard.url + "/login", data=right, timeout=10) as page:
        assert page.status == 200
        assert "Subscription lifecycle" in page.read().decode()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def test_offsets_lag_and_rates_follow_the_traffic(dashboard: Dashboard, settings: Settings) -> None:
    purchases = settings.topic("purchases")
    entitlements = settings.topic("entitlements")
    store = STORE.name(settings.topic_prefix)
    first = dashboard.poll("/api/overview", lambda o: o["sampled_at"] and topic(o, purchases)["exists"])
    assert topic(first, purchases)["partitions"] == 6
    assert topic(first, purchases)["end_offset"] == 0

    produce(settings, "purchases", [(f"SN-{i}".encode(), b"{}") for i in range(40)])
    produce(settings, "entitlements", [(b"SN-1", b"{}")] * 12, partition=2)
    commit(settings, store, "entitlements", 2, 5)

    after = dashboard.poll(
        "/api/overview",
        lambda o: topic(o, purchases)["end_offset"] == 40 and group(o, store)["total_lag"] == 7,
    )
    assert topic(after, entitlements)["end_offset"] == 12
    lagging = group(after, store)
    assert [(p["partition"], p["committed"], p["end"], p["lag"]) for p in lagging["partitions"] if p["lag"]] == [
        (2, 5, 12, 7)
    ]
    assert lagging["status"] in {"ok", "lagging"}  # committed moves: neither stalled nor stopped
    moving = dashboard.poll("/api/overview", lambda o: topic(o, purchases)["rate_per_s"] > 0)
    assert len(topic(moving, purchases)["history"]) >= 2

    commit(settings, store, "entitlements", 2, 12)
    dashboard.poll("/api/overview", lambda o: group(o, store)["total_lag"] == 0)


def test_figures_come_from_postgresql(dashboard: Dashboard, pg_dsn: str) -> None:
    empty = dashboard.poll("/api/figures", lambda f: f["figures"] is not None)
    assert empty["figures"]["entitlements"]["total"] == 0
    insert_figures(pg_dsn)
    figures = dashboard.poll("/api/figures", lambda f: f["figures"]["entitlements"]["total"] == 5)["figures"]
    entitlements = figures["entitlements"]
    assert (entitlements["active"], entitlements["pending_registration"], entitlements["expired"]) == (3, 1, 1)
    assert entitlements["expiring"] == 1
    assert {"program": "advantage_premier", "line": "business", "status": "active", "count": 2} in entitlements[
        "by_program_line"
    ]
    today = datetime.now(UTC).date().isoformat()
    assert figures["notices"]["sent_per_day"] == [{"day": today, "kind": "support_started", "count": 2}]


def test_dead_letters_are_listed_and_filtered_by_reason(dashboard: Dashboard, settings: Settings) -> None:
    now = datetime.now(UTC)
    records = [
        (
            b"SN-9",
            deadletter_record(
                f"rule: {HOSTILE}", settings.topic("renewals"), 1, 17, b"SN-9", b'{"x": 1}', "worker", now
            ),
        ),
        (
            b"SN-8",
            deadletter_record(
                "schema: serial: is required", settings.topic("purchases"), 0, 3, b"SN-8", b"\xff\xfe", "worker", now
            ),
        ),
    ]
    produce(settings, "deadletter", records)
    listing = dashboard.poll("/api/deadletters", lambda d: d["total"] == 2)
    hostile = next(item for item in listing["items"] if HOSTILE in item["reason"])
    assert hostile["origin"] == {"topic": settings.topic("renewals"), "partition": 1, "offset": 17}
    assert hostile["preview"] == '{"x": 1}'
    assert hostile["key"] == "SN-9"
    binary = next(item for item in listing["items"] if item["reason"].startswith("schema"))
    assert binary["preview"] == "(binary, 2 bytes)"
    status, filtered = dashboard.get("/api/deadletters?reason=SCHEMA")
    assert status == 200
    assert [item["key"] for item in filtered["items"]] == ["SN-8"]


def test_health_shows_the_heartbeat_of_a_live_process_and_a_missing_one(dashboard: Dashboard) -> None:
    overview = dashboard.poll("/api/overview", lambda o: len(o["health"]) == 2)
    by_component = {row["component"]: row for row in overview["health"]}
    assert by_component["worker"]["status"] == "up"
    assert by_component["worker"]["heartbeat_age_s"] < 60
    assert by_component["store"]["status"] == "down"
