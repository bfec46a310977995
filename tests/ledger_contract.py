"""What every delivery ledger does (`Ledger`, consumers/notifier/ledger_port.py), as one suite for fake and real.

A subclass named `Test...` provides the `open_ledger` fixture (OpenLedger: one notifier's ledger on a store that
starts empty and that every ledger it opens shares): tests/unit/notifier/test_fake_ledger.py runs the suite against
FakeLedger, and tests/integration/notifier/test_postgres_ledger.py against PostgresLedger on a migrated PostgreSQL.
Import it as `from ledger_contract import LedgerContract` (tests/ is on sys.path through tests/conftest.py).
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import pytest
from examples import example

from consumers.notifier.ledger_port import Ledger, LedgerEntry, LedgerRejectedError, ParkedRecord


class OpenLedger(Protocol):
    """Opens the ledger of the notifier named `owner`, whose claims last `lease` (the ledger's own by default)."""

    def __call__(self, owner: str, lease: timedelta | None = None) -> Ledger: ...


# A lease that runs out while the test waits, and the wait.
BRIEF_LEASE = timedelta(milliseconds=50)
PAST_BRIEF_LEASE = 0.2
# Each outcome a notifier records, as it records it.
OUTCOMES: dict[str, Callable[[Ledger, str], None]] = {
    "sent": lambda ledger, notice_id: ledger.record_sent(notice_id, "smtp", "<n1@example.com>", "it@example.com"),
    "failure": lambda ledger, notice_id: ledger.record_failure(notice_id, "SMTP 451 try again later"),
    "dead-letter": lambda ledger, notice_id: ledger.record_dead_letter(notice_id, "delivery refused: SMTP 550"),
    "skipped": lambda ledger, notice_id: ledger.record_skipped(notice_id, "too_old", "due 2023-01-09"),
}

# The notifier's clock when a notice is deferred, and the parked record of the contract's notice.
AT = datetime(2026, 3, 15, 9, 30, tzinfo=UTC)
LATER = AT + timedelta(minutes=1)
DEFERRAL = "message deferred: SMTP 452 4.2.2 Mailbox full"


def parked(offset: int = 41) -> ParkedRecord:
    """The Kafka record of a parked notice, with a header of each kind (a value and none) and a timestamp."""
    headers = (("lifecycle-redrive", b"t.deadletter/0/3"), ("empty", None))
    return ParkedRecord("t.notices", 3, offset, b"SN-0092", b'{"notice_id": "n"}', headers, 1_773_567_000_000)


def sample_notice(**changes: Any) -> dict[str, Any]:
    """The contract's example notice, with `changes` applied."""
    return {**example("notice"), **changes}


def where(entry: LedgerEntry) -> tuple[str, int, bool]:
    """Status, attempts and done of an entry, to compare in one assertion."""
    return entry.status, entry.attempts, entry.done


class LedgerContract(ABC):
    """A notice's delivery as the ledger records it (begun once, sent or skipped for good), and the daily cap."""

    @pytest.fixture
    @abstractmethod
    def open_ledger(self) -> OpenLedger:
        """Opens ledgers of the kind under test, all on one store, empty at first."""

    @pytest.fixture
    def ledger(self, open_ledger: OpenLedger) -> Ledger:
        """The ledger of notifier-a, on an empty store."""
        return open_ledger("notifier-a")

    @pytest.fixture
    def rival(self, open_ledger: OpenLedger) -> Ledger:
        """The ledger of notifier-b, a second notifier on the same store."""
        return open_ledger("notifier-b")

    @pytest.fixture
    def notice(self) -> dict[str, Any]:
        """A valid notice."""
        return sample_notice()

    def test_a_new_notice_is_pending_and_not_done(self, ledger: Ledger, notice: dict[str, Any]) -> None:
        assert where(ledger.begin(notice)) == ("pending", 0, False)

    def test_a_redelivered_notice_is_begun_once(self, ledger: Ledger, notice: dict[str, Any]) -> None:
        ledger.begin(notice)
        ledger.record_failure(notice["notice_id"], "SMTP 451 try again later")

        assert where(ledger.begin(notice)) == ("retrying", 1, False)
        assert where(ledger.begin(notice)) == ("retrying", 1, False)

    def test_a_sent_notice_is_done(self, ledger: Ledger, notice: dict[str, Any]) -> None:
        ledger.begin(notice)
        ledger.record_sent(notice["notice_id"], "smtp", "<n1@example.com>", "acct-092@customers.example.com")

        assert where(ledger.begin(notice)) == ("sent", 1, True)

    def test_each_failure_counts_an_attempt_and_the_notice_is_retried(
        self, ledger: Ledger, notice: dict[str, Any]
    ) -> None:
        ledger.begin(notice)
        ledger.record_failure(notice["notice_id"], "SMTP 451 try again later")
        ledger.record_failure(notice["notice_id"], "SMTP 421 closing connection")

        assert where(ledger.begin(notice)) == ("retrying", 2, False)

    def test_a_retried_notice_is_sent_on_a_later_attempt(self, ledger: Ledger, notice: dict[str, Any]) -> None:
        ledger.begin(notice)
        ledger.record_failure(notice["notice_id"], "SMTP 451 try again later")
        ledger.begin(notice)
        ledger.record_sent(notice["notice_id"], "smtp", "<n1@example.com>", "acct-092@customers.example.com")

        assert where(ledger.begin(notice)) == ("sent", 2, True)

    def test_a_dead_lettered_notice_counts_an_attempt_and_is_not_done(
        self, ledger: Ledger, notice: dict[str, Any]
    ) -> None:
        ledger.begin(notice)
        ledger.record_dead_letter(notice["notice_id"], "delivery refused: SMTP 550 no such user")

        assert where(ledger.begin(notice)) == ("dead_lettered", 1, False)
        assert ledger.begin(notice).last_error == "delivery refused: SMTP 550 no such user"  # the reason it went

    def test_a_dead_lettered_notice_that_comes_again_is_sent_once_it_can_be(
        self, ledger: Ledger, notice: dict[str, Any]
    ) -> None:
        ledger.begin(notice)
        ledger.record_dead_letter(notice["notice_id"], "delivery refused: SMTP 550 no such user")
        assert not ledger.begin(notice).done  # redriven, or redelivered
        ledger.record_sent(notice["notice_id"], "outbox", "<n1@example.com>", "acct-092@customers.example.com")

        assert where(ledger.begin(notice)) == ("sent", 2, True)

    def test_a_skipped_notice_is_done_without_an_attempt(self, ledger: Ledger, notice: dict[str, Any]) -> None:
        ledger.begin(notice)
        ledger.record_skipped(notice["notice_id"], "too_old", "due 2023-01-09, 9 days past due (max 7)")

        assert where(ledger.begin(notice)) == ("skipped", 0, True)

    def test_a_notice_that_failed_before_can_still_be_skipped(self, ledger: Ledger, notice: dict[str, Any]) -> None:
        ledger.begin(notice)
        ledger.record_failure(notice["notice_id"], "SMTP 451 try again later")
        ledger.record_skipped(notice["notice_id"], "expiry_passed", "support ended 2024-01-09")

        assert where(ledger.begin(notice)) == ("skipped", 1, True)

    def test_a_sent_notice_never_changes_again(self, ledger: Ledger, notice: dict[str, Any]) -> None:
        notice_id = notice["notice_id"]
        ledger.begin(notice)
        ledger.record_sent(notice_id, "smtp", "<n1@example.com>", "acct-092@customers.example.com")

        ledger.record_failure(notice_id, "SMTP 451 try again later")
        ledger.record_dead_letter(notice_id, "delivery refused: SMTP 550 no such user")
        ledger.record_skipped(notice_id, "too_old", "due 2023-01-09, 9 days past due (max 7)")
        ledger.record_sent(notice_id, "outbox", "<n2@example.com>", "acct-092@customers.example.com")

        assert where(ledger.begin(notice)) == ("sent", 1, True)

    def test_a_skipped_notice_never_changes_again(self, ledger: Ledger, notice: dict[str, Any]) -> None:
        notice_id = notice["notice_id"]
        ledger.begin(notice)
        ledger.record_skipped(notice_id, "expiry_passed", "support ended 2024-01-09")

        ledger.record_sent(notice_id, "smtp", "<n1@example.com>", "acct-092@customers.example.com")
        ledger.record_failure(notice_id, "SMTP 451 try again later")
        ledger.record_dead_letter(notice_id, "delivery refused: SMTP 550 no such user")
        ledger.record_skipped(notice_id, "too_old", "due 2023-01-09, 9 days past due (max 7)")

        assert where(ledger.begin(notice)) == ("skipped", 0, True)

    def test_recording_a_notice_never_begun_records_nothing(self, ledger: Ledger, notice: dict[str, Any]) -> None:
        ledger.record_sent(notice["notice_id"], "smtp", "<n1@example.com>", "acct-092@customers.example.com")
        ledger.record_failure(notice["notice_id"], "SMTP 451 try again later")
        ledger.record_dead_letter(notice["notice_id"], "delivery refused: SMTP 550 no such user")
        ledger.record_skipped(notice["notice_id"], "too_old", "due 2023-01-09, 9 days past due (max 7)")

        assert where(ledger.begin(notice)) == ("pending", 0, False)

    def test_notices_are_recorded_apart(self, ledger: Ledger, notice: dict[str, Any]) -> None:
        other = sample_notice(notice_id="support_started:SN-0093:2023-01-09", serial="SN-0093")
        ledger.begin(notice)
        ledger.begin(other)
        ledger.record_sent(notice["notice_id"], "smtp", "<n1@example.com>", "acct-092@customers.example.com")

        assert where(ledger.begin(other)) == ("pending", 0, False)
        assert where(ledger.begin(notice)) == ("sent", 1, True)

    @pytest.mark.parametrize(
        "changes",
        [{"serial": "SN\x00092"}, {"account_id": "acct\x00"}, {"due_on": "2023-02-30"}],
        ids=["nul-in-serial", "nul-in-account", "impossible-due-date"],
    )
    def test_values_the_database_cannot_hold_are_rejected_and_not_recorded(
        self, ledger: Ledger, notice: dict[str, Any], changes: dict[str, str]
    ) -> None:
        with pytest.raises(LedgerRejectedError):
            ledger.begin({**notice, **changes})

        assert where(ledger.begin(notice)) == ("pending", 0, False)

    def test_an_error_text_with_a_nul_character_is_kept_with_the_nul_written_out(
        self, ledger: Ledger, notice: dict[str, Any]
    ) -> None:
        ledger.begin(notice)
        ledger.record_dead_letter(notice["notice_id"], "delivery refused: 550 \x00 no")  # never refused for its text

        entry = ledger.begin(notice)
        assert (entry.status, entry.last_error) == ("dead_lettered", "delivery refused: 550 \\x00 no")

    def test_a_recipient_under_the_daily_cap_is_claimed(self, ledger: Ledger, notice: dict[str, Any]) -> None:
        ledger.begin(notice)

        assert ledger.claim_recipient(notice["notice_id"], "it-admin@example.com", 1)

    def test_a_recipient_whose_cap_is_used_today_is_refused(self, ledger: Ledger, notice: dict[str, Any]) -> None:
        other = sample_notice(notice_id="support_started:SN-0093:2023-01-09", serial="SN-0093")
        ledger.begin(notice)
        ledger.begin(other)

        assert ledger.claim_recipient(notice["notice_id"], "it-admin@example.com", 1)
        assert not ledger.claim_recipient(other["notice_id"], "IT-Admin@Example.com", 1)  # the same address

    def test_a_notice_claimed_again_does_not_count_against_itself(self, ledger: Ledger, notice: dict[str, Any]) -> None:
        ledger.begin(notice)
        ledger.claim_recipient(notice["notice_id"], "it-admin@example.com", 1)
        ledger.record_failure(notice["notice_id"], "SMTP 451 try again later")

        assert ledger.claim_recipient(notice["notice_id"], "it-admin@example.com", 1)

    def test_a_sent_notice_counts_against_the_cap_and_a_dead_lettered_one_does_not(
        self, ledger: Ledger, notice: dict[str, Any]
    ) -> None:
        sent, dead, later = (
            sample_notice(notice_id=f"support_started:SN-{n}:2023-01-09", serial=f"SN-{n}") for n in (1, 2, 3)
        )
        for each in (sent, dead, later, notice):
            ledger.begin(each)
        ledger.claim_recipient(sent["notice_id"], "it-admin@example.com", 2)
        ledger.record_sent(sent["notice_id"], "smtp", "<n1@example.com>", "it-admin@example.com")
        ledger.claim_recipient(dead["notice_id"], "it-admin@example.com", 2)
        ledger.record_dead_letter(dead["notice_id"], "delivery refused: SMTP 550 no such user")

        assert ledger.claim_recipient(later["notice_id"], "it-admin@example.com", 2)
        assert not ledger.claim_recipient(notice["notice_id"], "it-admin@example.com", 2)

    def test_a_notice_another_notifier_claimed_is_refused_while_its_lease_runs(
        self, ledger: Ledger, rival: Ledger, notice: dict[str, Any]
    ) -> None:
        assert ledger.begin(notice).claimed_by_other is None

        refused = rival.begin(notice)

        assert (where(refused), refused.claimed_by_other) == (("pending", 0, False), "notifier-a")
        assert rival.begin(notice).claimed_by_other == "notifier-a"  # asking again takes nothing

    def test_the_same_notifier_may_claim_its_notice_again(
        self, ledger: Ledger, rival: Ledger, notice: dict[str, Any]
    ) -> None:
        ledger.begin(notice)
        ledger.record_failure(notice["notice_id"], "SMTP 451 try again later")
        ledger.begin(notice)

        assert ledger.begin(notice).claimed_by_other is None  # a retry, or the record read again
        assert rival.begin(notice).claimed_by_other == "notifier-a"

    def test_a_claim_whose_lease_ran_out_may_be_taken_over(
        self, open_ledger: OpenLedger, ledger: Ledger, notice: dict[str, Any]
    ) -> None:
        crashed = open_ledger("notifier-b", lease=BRIEF_LEASE)  # claimed, then never recorded an outcome
        assert crashed.begin(notice).claimed_by_other is None
        time.sleep(PAST_BRIEF_LEASE)

        assert ledger.begin(notice).claimed_by_other is None
        assert crashed.begin(notice).claimed_by_other == "notifier-a"

    @pytest.mark.parametrize("outcome", OUTCOMES.values(), ids=list(OUTCOMES))
    def test_an_outcome_recorded_releases_the_claim(
        self, ledger: Ledger, rival: Ledger, notice: dict[str, Any], outcome: Callable[[Ledger, str], None]
    ) -> None:
        ledger.begin(notice)
        outcome(ledger, notice["notice_id"])

        assert rival.begin(notice).claimed_by_other is None

    def test_an_outcome_recorded_by_another_notifier_leaves_the_claim(
        self, open_ledger: OpenLedger, ledger: Ledger, rival: Ledger, notice: dict[str, Any]
    ) -> None:
        ledger.begin(notice)
        rival.record_failure(notice["notice_id"], "SMTP 451 try again later")  # its own lease ran out before

        assert open_ledger("notifier-c").begin(notice).claimed_by_other == "notifier-a"

    def test_a_released_notice_is_claimed_by_the_next_and_keeps_its_status(
        self, ledger: Ledger, rival: Ledger, notice: dict[str, Any]
    ) -> None:
        ledger.begin(notice)
        ledger.record_failure(notice["notice_id"], "SMTP 451 try again later")
        ledger.begin(notice)
        rival.release(notice["notice_id"])  # not its claim: nothing changes
        assert rival.begin(notice).claimed_by_other == "notifier-a"

        ledger.release(notice["notice_id"])

        entry = rival.begin(notice)
        assert (entry.claimed_by_other, entry.status, entry.attempts) == (None, "retrying", 1)

    def test_a_notice_another_holds_is_parked_only_while_it_holds_it_and_recorded_nothing(
        self, ledger: Ledger, rival: Ledger, notice: dict[str, Any]
    ) -> None:
        ledger.begin(notice)
        assert rival.begin(notice).claimed_by_other == "notifier-a"

        assert rival.park_held(notice["notice_id"], "notifier-a", LATER, parked())
        entry = rival.begin(notice)
        assert (entry.status, entry.attempts, entry.claimed_by_other) == ("deferred", 0, "notifier-a")  # no attempt

    @pytest.mark.parametrize("outcome", OUTCOMES.values(), ids=list(OUTCOMES))
    def test_a_notice_whose_holder_recorded_its_outcome_is_not_parked_over_it(
        self, ledger: Ledger, rival: Ledger, notice: dict[str, Any], outcome: Callable[[Ledger, str], None]
    ) -> None:
        ledger.begin(notice)
        outcome(ledger, notice["notice_id"])
        before = where(ledger.begin(notice))
        ledger.release(notice["notice_id"])

        assert not rival.park_held(notice["notice_id"], "notifier-a", LATER, parked())
        assert where(rival.begin(notice)) == before

    def test_a_notice_whose_holder_let_its_claim_run_out_is_not_parked(
        self, open_ledger: OpenLedger, ledger: Ledger, notice: dict[str, Any]
    ) -> None:
        open_ledger("notifier-b", lease=BRIEF_LEASE).begin(notice)
        time.sleep(PAST_BRIEF_LEASE)

        assert not ledger.park_held(notice["notice_id"], "notifier-b", LATER, parked())

    def test_notices_are_claimed_apart(self, ledger: Ledger, rival: Ledger, notice: dict[str, Any]) -> None:
        other = sample_notice(notice_id="support_started:SN-0093:2023-01-09", serial="SN-0093")
        ledger.begin(notice)

        assert rival.begin(other).claimed_by_other is None
        assert ledger.begin(other).claimed_by_other == "notifier-b"

    def test_a_done_notice_is_claimed_by_no_one(self, ledger: Ledger, rival: Ledger, notice: dict[str, Any]) -> None:
        ledger.begin(notice)
        ledger.record_sent(notice["notice_id"], "smtp", "<n1@example.com>", "acct-092@customers.example.com")

        assert (where(rival.begin(notice)), rival.begin(notice).claimed_by_other) == (("sent", 1, True), None)
        assert ledger.begin(notice).claimed_by_other is None

    def park(self, ledger: Ledger, notice: dict[str, Any], retry_at: datetime = LATER, offset: int = 41) -> None:
        """Begin the notice, count a deferral at AT and park it until `retry_at`."""
        ledger.begin(notice)
        ledger.count_deferral(notice["notice_id"], AT)
        ledger.park(notice["notice_id"], DEFERRAL, retry_at, parked(offset))

    def test_a_parked_notice_is_deferred_with_an_attempt_and_not_done(
        self, ledger: Ledger, notice: dict[str, Any]
    ) -> None:
        self.park(ledger, notice)

        entry = ledger.begin(notice)
        assert (where(entry), entry.last_error) == (("deferred", 1, False), DEFERRAL)

    def test_deferrals_are_counted_from_the_first_by_every_notifier(
        self, ledger: Ledger, rival: Ledger, notice: dict[str, Any]
    ) -> None:
        ledger.begin(notice)

        assert ledger.count_deferral(notice["notice_id"], AT) == (1, AT)
        assert ledger.count_deferral(notice["notice_id"], LATER) == (2, AT)
        assert rival.count_deferral(notice["notice_id"], LATER + timedelta(hours=1)) == (3, AT)

    @pytest.mark.parametrize("outcome", ["sent", "dead-letter"])
    def test_a_notice_sent_or_dead_lettered_counts_its_next_deferrals_afresh(
        self, ledger: Ledger, notice: dict[str, Any], outcome: str
    ) -> None:
        self.park(ledger, notice)
        ledger.count_deferral(notice["notice_id"], LATER)
        ledger.begin(notice)
        OUTCOMES[outcome](ledger, notice["notice_id"])
        ledger.begin(notice)  # redriven

        assert ledger.count_deferral(notice["notice_id"], LATER) == (1, LATER)

    def test_a_parked_notice_is_taken_with_its_record_once_its_retry_time_came(
        self, ledger: Ledger, notice: dict[str, Any]
    ) -> None:
        self.park(ledger, notice)

        assert ledger.take_due(LATER - timedelta(seconds=1), 10) == []
        assert ledger.take_due(LATER, 10) == [parked()]

    def test_a_parked_notice_another_notifier_claimed_is_not_taken(
        self, ledger: Ledger, rival: Ledger, notice: dict[str, Any]
    ) -> None:
        self.park(ledger, notice)
        rival.begin(notice)  # its Kafka copy, read again by the other notifier

        assert ledger.take_due(LATER, 10) == []
        assert rival.take_due(LATER, 10) == [parked()]  # its own claim

    def test_a_taken_notice_is_not_taken_by_another_notifier_while_claimed(
        self, ledger: Ledger, rival: Ledger, notice: dict[str, Any]
    ) -> None:
        self.park(ledger, notice)

        assert ledger.take_due(LATER, 10) == [parked()]
        assert rival.take_due(LATER, 10) == []
        assert rival.begin(notice).claimed_by_other == "notifier-a"
        assert ledger.take_due(LATER, 10) == [parked()]  # the round that took it may take it again

    def test_the_earliest_due_are_taken_and_no_more_than_asked(self, ledger: Ledger) -> None:
        notices = [sample_notice(notice_id=f"support_started:SN-P{n}:2023-01-09", serial=f"SN-P{n}") for n in range(3)]
        for number, notice in enumerate(notices):
            self.park(ledger, notice, retry_at=LATER - timedelta(seconds=number), offset=number)

        assert [record.offset for record in ledger.take_due(LATER, 2)] == [2, 1]
        assert [record.offset for record in ledger.take_due(LATER, 2)] == [2, 1]  # its own claims, again
        assert [record.offset for record in ledger.take_due(LATER, 3)] == [2, 1, 0]

    @pytest.mark.parametrize("outcome", ["sent", "dead-letter", "skipped"])
    def test_a_parked_notice_sent_dead_lettered_or_skipped_leaves_the_park(
        self, ledger: Ledger, notice: dict[str, Any], outcome: str
    ) -> None:
        self.park(ledger, notice)
        ledger.take_due(LATER, 10)
        ledger.begin(notice)
        OUTCOMES[outcome](ledger, notice["notice_id"])

        assert ledger.take_due(LATER + timedelta(days=1), 10) == []
        assert ledger.begin(notice).status == {"sent": "sent", "dead-letter": "dead_lettered"}.get(outcome, "skipped")

    def test_a_parked_notice_that_fails_otherwise_stays_parked_and_due(
        self, ledger: Ledger, rival: Ledger, notice: dict[str, Any]
    ) -> None:
        self.park(ledger, notice)
        ledger.take_due(LATER, 10)
        ledger.begin(notice)
        ledger.record_failure(notice["notice_id"], "SMTP connection failed: ConnectionRefusedError")  # released

        assert where(rival.begin(notice)) == ("deferred", 2, False)
        assert rival.take_due(LATER, 10) == [parked()]

    def test_a_parked_notice_counts_against_its_recipients_cap(self, ledger: Ledger, notice: dict[str, Any]) -> None:
        other = sample_notice(notice_id="support_started:SN-0093:2023-01-09", serial="SN-0093")
        ledger.begin(other)
        ledger.begin(notice)
        ledger.claim_recipient(notice["notice_id"], "it-admin@example.com", 1)
        ledger.count_deferral(notice["notice_id"], AT)
        ledger.park(notice["notice_id"], DEFERRAL, LATER, parked())

        assert not ledger.claim_recipient(other["notice_id"], "it-admin@example.com", 1)
        assert ledger.claim_recipient(notice["notice_id"], "it-admin@example.com", 1)  # tried again from the park
