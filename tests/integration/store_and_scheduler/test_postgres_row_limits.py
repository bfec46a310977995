"""PostgreSQL's own refusal of a row over its btree entry limit (SQLSTATE 54000): a dead letter, not an outage."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import psycopg2.errors
import pytest
from fake_deadletters import FakeDeadLetters
from pg_admin import with_role
from store_samples import FakeRecord, encoded, snapshot

import consumers.store.documents
from consumers.db import migrate
from consumers.store.mapping import Batch, entitlement_row
from consumers.store.postgres import PostgresEntitlements
from consumers.store.sink import ROW_ERRORS, TRANSIENT_ERRORS, EntitlementStore
from lifecycle.settings import Settings

pytestmark = pytest.mark.integration

TOPIC = "p.entitlements"


@pytest.fixture
def repository(settings: Settings) -> Iterator[PostgresEntitlements]:
    """PostgresEntitlements as the store's role on this test's migrated database (with index entitlements_by_email)."""
    migrate(settings)
    repository = PostgresEntitlements(with_role(settings.database_url.get_secret_value(), settings.db_store_role))
    yield repository
    repository.close()


def _oversized(serial: str) -> dict[str, Any]:
    """A snapshot whose contact email no btree entry can hold (random, so compression does not shrink it)."""
    return snapshot(serial, contact={"email": secrets.token_hex(2000) + "@example.com", "name": "Pat"})


@pytest.fixture
def unchecked_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    """The store without its schema check: as rows stored under a contract that did not bound the email."""
    monkeypatch.setattr(consumers.store.documents, "validate", lambda kind, document: document)


@pytest.mark.usefixtures("unchecked_contract")
def test_postgresql_refuses_an_index_entry_over_its_limit_as_a_row_error(repository: PostgresEntitlements) -> None:
    with pytest.raises(psycopg2.errors.ProgramLimitExceeded) as refused:
        repository.write(Batch(entitlements=[entitlement_row(encoded(_oversized("SN-BIG")))]))
    assert refused.value.pgcode == "54000"
    assert isinstance(refused.value, ROW_ERRORS)
    assert isinstance(refused.value, TRANSIENT_ERRORS)  # psycopg2's class: which is why row errors go first
    assert repository.write(Batch(entitlements=[entitlement_row(encoded(snapshot("SN-1")))])) == 1


@pytest.mark.usefixtures("unchecked_contract")
def test_the_store_dead_letters_the_row_postgresql_cannot_index_and_writes_the_rest(
    repository: PostgresEntitlements,
) -> None:
    big = FakeRecord(TOPIC, 0, 1, b"SN-BIG", encoded(_oversized("SN-BIG")))
    records = [FakeRecord(TOPIC, 0, 0, b"SN-0", encoded(snapshot("SN-0"))), big]
    letters = FakeDeadLetters()
    store = EntitlementStore(repository, letters, entitlements_topic=TOPIC, releases_topic="r", holds_topic="h")

    store(records)  # returns: nothing to retry

    [(record, reason)] = letters.records
    assert record is big
    assert reason.startswith("refused by PostgreSQL: index row size ")
    assert repository.current("SN-0") is not None
    assert repository.current("SN-BIG") is None
