"""The delivery ledger's contract (tests/ledger_contract.py) held against PostgresLedger on a migrated PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from ledger_contract import AT, DEFERRAL, LATER, LedgerContract, OpenLedger, parked, sample_notice
from pg_admin import with_role

from consumers.database import admin_dsn
from consumers.db import MIGRATION_TABLE, MIGRATIONS_DIR, migrate
from consumers.notifier.ledger import CLAIM_LEASE, PostgresLedger
from consumers.notifier.ledger_port import LedgerEntry
from lifecycle.errors import UserError
from lifecycle.settings import Settings

RACES = 40
SENT = ("smtp", "<n1@example.com>", "it@example.com")


class TestPostgresLedger(LedgerContract):
    @pytest.fixture
    def open_ledger(self, settings: Settings) -> Iterator[OpenLedger]:
        """PostgresLedgers as the notifier's role on this test's own database, migrated as `db migrate` does."""
        migrate(settings)
        dsn = with_role(settings.database_url.get_secret_value(), settings.db_notifier_role)
        opened: list[PostgresLedger] = []

        def open_one(owner: str, lease: timedelta | None = None) -> PostgresLedger:
            ledger = PostgresLedger(dsn, owner=owner, lease=lease or CLAIM_LEASE)
            ledger.check()
            opened.append(ledger)
            return ledger

        yield open_one
        for ledger in opened:
            ledger.close()

    def test_two_notifiers_beginning_a_notice_at_once_claim_it_once(self, open_ledger: OpenLedger) -> None:
        notifiers = [open_ledger("notifier-a"), open_ledger("notifier-b")]
        notices = [
            sample_notice(notice_id=f"support_started:SN-R{n}:2023-01-09", serial=f"SN-R{n}") for n in range(RACES)
        ]
        entries: dict[tuple[int, int], LedgerEntry] = {}
        start = threading.Barrier(len(notifiers))

        def race(index: int) -> None:
            for number, notice in enumerate(notices):
                start.wait(timeout=10)  # both begin each notice at the same moment
                entries[index, number] = notifiers[index].begin(notice)

        threads = [threading.Thread(target=race, args=(index,)) for index in range(len(notifiers))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        winners = [
            [index for index in range(len(notifiers)) if entries[index, number].claimed_by_other is None]
            for number in range(RACES)
        ]
        assert all(len(claimed) == 1 for claimed in winners), winners

    def test_two_notifiers_taking_due_parked_notices_at_once_take_each_once(self, open_ledger: OpenLedger) -> None:
        notifiers = [open_ledger("notifier-a"), open_ledger("notifier-b")]
        taken: list[set[int]] = [set(), set()]
        start = threading.Barrier(len(notifiers))

        def race(index: int) -> None:
            for _ in range(RACES // 4):
                start.wait(timeout=10)  # both take at the same moment, a few due notices each time
                records = notifiers[index].take_due(LATER, 4)
                assert taken[index].isdisjoint(record.offset for record in records)  # each sent, so taken once
                taken[index].update(record.offset for record in records)
                for record in records:
                    notifiers[index].record_sent(f"support_started:SN-T{record.offset}:2023-01-09", *SENT)

        for number in range(RACES):
            notice = sample_notice(notice_id=f"support_started:SN-T{number}:2023-01-09", serial=f"SN-T{number}")
            notifiers[0].begin(notice)
            notifiers[0].park(notice["notice_id"], DEFERRAL, LATER, parked(number))
        threads = [threading.Thread(target=race, args=(index,)) for index in range(len(notifiers))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert taken[0].isdisjoint(taken[1]), taken
        assert len(taken[0] | taken[1]) == RACES


def _backend(settings: Settings) -> Any:
    """The yoyo backend `db migrate` uses, as the schema's owner."""
    from yoyo.backends import get_backend_class
    from yoyo.connections import parse_uri

    uri = parse_uri(admin_dsn(settings))._replace(scheme="postgresql")
    uri = uri._replace(args={**uri.args, "options": f"-c role={settings.db_owner_role}"})  # as `db migrate` does
    return get_backend_class("postgresql")(uri, MIGRATION_TABLE)


def test_the_parking_migration_rolls_back_only_with_nothing_parked_and_applies_again(settings: Settings) -> None:
    from yoyo import read_migrations

    migrate(settings)
    dsn = with_role(settings.database_url.get_secret_value(), settings.db_notifier_role)
    notice = sample_notice()
    holder = PostgresLedger(dsn, owner="notifier-a")
    backend = _backend(settings)
    ours = read_migrations(str(MIGRATIONS_DIR)).filter(lambda m: m.id == "0017_delivery_ledger_parked")
    unmigrated = PostgresLedger(dsn, owner="notifier-b")
    try:
        holder.begin(notice)
        holder.count_deferral(notice["notice_id"], AT)
        holder.park(notice["notice_id"], DEFERRAL, LATER, parked())  # its Kafka record is kept only here now
        with backend.lock(), pytest.raises(Exception, match="holds parked notices"):
            backend.rollback_migrations(backend.to_rollback(ours))
        backend.connection.rollback()
        holder.record_dead_letter(notice["notice_id"], "delivery deferred by the SMTP server: …")  # out of the park
        with backend.lock():
            backend.rollback_migrations(backend.to_rollback(ours))
        with pytest.raises(UserError, match=r"no columns to park .* run `lifecycle db migrate` first"):
            unmigrated.check()
        with backend.lock():
            backend.apply_migrations(backend.to_apply(ours))
    finally:
        backend.connection.close()
        unmigrated.close()
        holder.close()

    ledger = PostgresLedger(dsn, owner="notifier-b")
    try:
        ledger.check()
        entry = ledger.begin(notice)
        assert (entry.status, entry.last_error) == ("dead_lettered", "delivery deferred by the SMTP server: …")
        assert ledger.take_due(LATER, 10) == []
    finally:
        ledger.close()


def test_the_claims_migration_rolls_back_and_applies_again(settings: Settings) -> None:
    from yoyo import read_migrations
    from yoyo.backends import get_backend_class
    from yoyo.connections import parse_uri

    migrate(settings)
    dsn = with_role(settings.database_url.get_secret_value(), settings.db_notifier_role)
    notice = sample_notice()
    holder = PostgresLedger(dsn, owner="notifier-a")
    try:
        holder.begin(notice)  # claimed when the migration is rolled back
    finally:
        holder.close()
    uri = parse_uri(admin_dsn(settings))._replace(scheme="postgresql")
    uri = uri._replace(args={**uri.args, "options": f"-c role={settings.db_owner_role}"})  # as `db migrate` does
    backend = get_backend_class("postgresql")(uri, MIGRATION_TABLE)
    ours = read_migrations(str(MIGRATIONS_DIR)).filter(lambda m: m.id == "0016_delivery_ledger_claims")
    unmigrated = PostgresLedger(dsn, owner="notifier-b")
    try:
        with backend.lock():
            backend.rollback_migrations(backend.to_rollback(ours))
        with pytest.raises(UserError, match=r"no claim columns .* run `lifecycle db migrate` first"):
            unmigrated.check()  # a notifier started before `db migrate`: one line, not a failure per notice
        with backend.lock():
            backend.apply_migrations(backend.to_apply(ours))
    finally:
        backend.connection.close()
        unmigrated.close()

    ledger = PostgresLedger(dsn, owner="notifier-b")
    try:
        ledger.check()
        entry = ledger.begin(notice)  # the row kept, its claim gone with the columns
        assert (entry.status, entry.claimed_by_other) == ("pending", None)
    finally:
        ledger.close()
