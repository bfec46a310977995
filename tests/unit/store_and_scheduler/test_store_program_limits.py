"""A row PostgreSQL refuses for a program limit (SQLSTATE class 54) is dead-lettered, not retried as an outage."""

from __future__ import annotations

import psycopg2
import psycopg2.errors
import pytest
from fake_deadletters import FakeDeadLetters
from store_fakes import FakeEntitlements
from store_samples import FakeRecord, encoded, snapshot

from consumers.store.mapping import Batch
from consumers.store.sink import TRANSIENT_ERRORS, EntitlementStore

pytestmark = pytest.mark.unit

TOPIC = "p.entitlements"
# SQLSTATE class 54, program limit exceeded: psycopg2 makes each an OperationalError, as it makes an outage.
PROGRAM_LIMITS = (
    psycopg2.errors.ProgramLimitExceeded,
    psycopg2.errors.StatementTooComplex,
    psycopg2.errors.TooManyColumns,
    psycopg2.errors.TooManyArguments,
)
INDEX_REFUSAL = 'index row size 4032 exceeds btree version 4 maximum 2704 for index "entitlements_by_email"'


class RefusingEntitlements(FakeEntitlements):
    """Raises `error` for every batch holding serial SN-BIG, as PostgreSQL refuses a row over one of its limits."""

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def write(self, batch: Batch) -> int:
        if any(row.serial == "SN-BIG" for row in batch.entitlements):
            raise self.error
        return super().write(batch)


def _records() -> tuple[list[FakeRecord], FakeRecord]:
    big = FakeRecord(TOPIC, 0, 1, b"SN-BIG", encoded(snapshot("SN-BIG")))
    return [FakeRecord(TOPIC, 0, 0, b"SN-0", encoded(snapshot("SN-0"))), big], big


def _store(repository: FakeEntitlements, letters: FakeDeadLetters) -> EntitlementStore:
    return EntitlementStore(repository, letters, entitlements_topic=TOPIC, releases_topic="r", holds_topic="h")


@pytest.mark.parametrize("error", PROGRAM_LIMITS, ids=lambda error: error.__name__)
def test_a_row_over_a_program_limit_is_dead_lettered_and_the_rest_of_the_batch_written(error: type[Exception]) -> None:
    assert issubclass(error, TRANSIENT_ERRORS)  # what the loop would retry for ever, had the store let it through
    records, big = _records()
    repository, letters = RefusingEntitlements(error(INDEX_REFUSAL)), FakeDeadLetters()

    _store(repository, letters)(records)  # returns: the loop commits the batch

    assert letters.records == [(big, f"refused by PostgreSQL: {INDEX_REFUSAL}")]
    assert sorted(repository.current_documents) == ["SN-0"]


def test_an_outage_is_still_left_to_the_loop_to_retry() -> None:
    records, _ = _records()
    repository, letters = (
        RefusingEntitlements(psycopg2.OperationalError("server closed the connection")),
        FakeDeadLetters(),
    )

    with pytest.raises(psycopg2.OperationalError):
        _store(repository, letters)(records)
    assert (letters.records, repository.current_documents) == ([], {})


class StoppedDatabase(FakeEntitlements):
    """Refuses every write, as PostgreSQL does past its wraparound limit: SQLSTATE 54000, like a row too large."""

    def write(self, batch: Batch) -> int:
        raise psycopg2.errors.ProgramLimitExceeded(
            'database is not accepting commands to avoid wraparound data loss in database "lifecycle"'
        )


def test_a_database_stopped_at_its_wraparound_limit_is_an_outage_not_a_bad_row() -> None:
    records, _ = _records()
    repository, letters = StoppedDatabase(), FakeDeadLetters()

    with pytest.raises(psycopg2.errors.ProgramLimitExceeded):
        _store(repository, letters)(records)  # the loop retries: nothing is dead-lettered, nothing committed
    assert letters.records == []
