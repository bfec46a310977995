"""Helpers of the console tests: POST with headers, serial rows as the store and notifier write them, letters."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from typing import Any

import orjson
import psycopg2
from dashboard_fixtures import TOKEN, Dashboard
from examples import example
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from lifecycle.deadletter import deadletter_record
from lifecycle.kafka_config import kafka_python_config
from lifecycle.settings import Settings

OPERATOR = "operator-token-0123456789"
EMAIL = "robin.quill@customers.example.com"
NAME = "Robin Quill"


def post(board: Dashboard, path: str, body: Any, operator: str | None = None) -> tuple[int, Any]:
    """POST JSON with the bearer token and, when given, the operator token; (status, parsed JSON)."""
    request = urllib.request.Request(board.url + path, data=json.dumps(body).encode(), method="POST")
    request.add_header("Authorization", f"Bearer {TOKEN}")
    request.add_header("Content-Type", "application/json")
    if operator is not None:
        request.add_header("X-Operator-Token", operator)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def snapshot(serial: str, revision: int, status: str, expires: str, event_id: str) -> dict[str, Any]:
    """The contract's example snapshot as revision `revision` of `serial`, covered from 2026-01-15 to `expires`."""
    document = example("entitlement")
    document.update(serial=serial, account_id="acct-42", revision=revision, status=status)
    document.update(contact={"email": EMAIL, "name": NAME}, last_event_id=event_id)
    document["updated_at"] = f"2026-0{revision}-15T00:00:00Z"
    document["support"].update(starts_on="2026-01-15", expires_on=expires)
    return document


def insert_serial(pg_dsn: str, serial: str) -> None:
    """Two revisions (purchase, renewal), one held event, two notices (one sent, one skipped) for `serial`."""
    revisions = [
        snapshot(serial, 1, "active", "2027-01-15", "pur-1"),
        snapshot(serial, 2, "active", "2028-01-15", "ren-1"),
    ]
    with psycopg2.connect(pg_dsn) as connection, connection.cursor() as cursor:
        current = revisions[-1]
        cursor.execute(
            "INSERT INTO entitlements (serial, account_id, status, program, line, family, version, channel,"
            " starts_on, expires_on, version_supported, revision, updated_at, document)"
            " VALUES (%s, 'acct-42', 'active', 'advantage_premier', 'business', 'backup', '12', 'online_store',"
            " '2026-01-15', '2028-01-15', true, 2, now(), %s)",
            (serial, orjson.dumps(current).decode()),
        )
        for document in revisions:
            cursor.execute(
                "INSERT INTO entitlement_revisions (serial, revision, account_id, status, updated_at, document)"
                " VALUES (%s, %s, 'acct-42', 'active', now(), %s)",
                (serial, document["revision"], orjson.dumps(document).decode()),
            )
        cursor.execute(
            "INSERT INTO held_events (serial, event_id, type, occurred_at, held_since)"
            " VALUES (%s, 'case-7', 'case_opened', now() - interval '1 day', now())",
            (serial,),
        )
        cursor.execute(
            "INSERT INTO delivery_ledger (notice_id, kind, serial, account_id, due_on, status, transport, recipient,"
            " sent_at) VALUES (%s, 'renewal_confirmed', %s, 'acct-42', '2026-02-15', 'sent', 'outbox', %s, now())",
            (f"n:{serial}:renewal", serial, EMAIL),
        )
        cursor.execute(
            "INSERT INTO delivery_ledger (notice_id, kind, serial, account_id, due_on, status, skip_reason,"
            " recipient) VALUES (%s, 'expiry_reminder', %s, 'acct-42', '2026-01-01', 'skipped', 'too_old', %s)",
            (f"n:{serial}:reminder", serial, EMAIL),
        )
    connection.close()


def letter(
    settings: Settings, reason: str, origin: str, offset: int, serial: str, component: str = "processor"
) -> tuple[bytes, bytes]:
    """A dead letter of a JSON original naming `serial` and its contact, as a component writes it."""
    original = orjson.dumps({"serial": serial, "contact": {"email": EMAIL, "name": NAME}})
    value = deadletter_record(
        reason, settings.topic(origin), 0, offset, serial.encode(), original, component, datetime.now(UTC)
    )
    return serial.encode(), value


def produce_at(settings: Settings, suffix: str, records: list[tuple[bytes, bytes]]) -> list[tuple[int, int]]:
    """Send records to partition 0 of a topic; their (partition, offset)."""
    producer = KafkaProducer(acks="all", **kafka_python_config(settings))
    try:
        futures = [producer.send(settings.topic(suffix), key=key, value=value, partition=0) for key, value in records]
        producer.flush(timeout=20)
        return [(meta.partition, meta.offset) for meta in (future.get(timeout=10) for future in futures)]
    finally:
        producer.close()


def read_with_headers(settings: Settings, suffix: str, timeout: float = 15.0) -> list[Any]:
    """Every record of a topic (every partition), with headers."""
    consumer = KafkaConsumer(enable_auto_commit=False, **kafka_python_config(settings))
    try:
        name = settings.topic(suffix)
        parts = [TopicPartition(name, p) for p in sorted(consumer.partitions_for_topic(name) or ())]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        end = consumer.end_offsets(parts)
        records: list[Any] = []
        deadline = time.monotonic() + timeout
        while any(consumer.position(tp) < end[tp] for tp in parts) and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=200).values():
                records.extend(batch)
        return records
    finally:
        consumer.close()
