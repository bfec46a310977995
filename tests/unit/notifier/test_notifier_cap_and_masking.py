"""A daily cap per address (the excess skipped, counted, never sent); no full address or name in any reason."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fake_deadletters import FakeDeadLetters
from notifier_fakes import FakeClock, FakeLedger, FakeRecord, FakeTransport
from notifier_samples import notice
from prometheus_client import REGISTRY

from consumers.notifier.delivery_errors import PermanentDeliveryError, TransientDeliveryError
from consumers.notifier.handler import NoticeHandler, Outcome, RetryLaterError
from consumers.notifier.ledger_port import RECIPIENT_CAP
from consumers.notifier.render import NoticeRenderer

CAP = 2
ADDRESS = "robin.quill@example.com"
NAME = "Robin Quill"


def _skipped(kind: str) -> float:
    return REGISTRY.get_sample_value("lifecycle_notices_skipped_total", {"kind": kind, "reason": RECIPIENT_CAP}) or 0.0


def _notice(number: int, email: str = ADDRESS, name: str = NAME, kind: str = "support_started") -> dict[str, Any]:
    document = notice(kind, recipient={"email": email, "name": name})
    document["notice_id"] = f"{kind}:SN-{number}:2026-03-15"
    document["serial"] = f"SN-{number}"
    return document


def _handler(ledger: FakeLedger, transport: FakeTransport, dead_letters: FakeDeadLetters, cap: int) -> NoticeHandler:
    return NoticeHandler(
        NoticeRenderer(),
        transport,
        ledger,
        dead_letters,
        "support@example.com",
        max_age_days=7,
        daily_cap=cap,
        now=FakeClock(),
    )


@pytest.fixture
def handler(ledger: FakeLedger, transport: FakeTransport, dead_letters: FakeDeadLetters) -> NoticeHandler:
    return _handler(ledger, transport, dead_letters, CAP)


def test_notices_past_the_cap_are_skipped_recorded_and_counted(
    handler: NoticeHandler, ledger: FakeLedger, transport: FakeTransport
) -> None:
    before = _skipped("support_started")
    # The same mailbox, however its address is capitalised.
    notices = [_notice(1), _notice(2, email=ADDRESS.upper()), _notice(3), _notice(4, email="Robin.Quill@Example.com")]

    outcomes = [handler.handle(FakeRecord.of(document)) for document in notices]

    assert outcomes == [Outcome.SENT, Outcome.SENT, Outcome.CAPPED, Outcome.CAPPED]
    assert len(transport.sent) == CAP
    row = ledger.rows[notices[2]["notice_id"]]
    assert (row["status"], row["skip_reason"], row["attempts"]) == ("skipped", RECIPIENT_CAP, 0)
    assert row["last_error"] == (
        "r***@example.com already has 2 notices today (UTC), the most LIFECYCLE_NOTICE_DAILY_CAP_PER_RECIPIENT allows"
    )
    assert _skipped("support_started") == before + 2


def test_a_capped_notice_stays_skipped_when_it_comes_again(
    handler: NoticeHandler, ledger: FakeLedger, transport: FakeTransport
) -> None:
    for number in (1, 2, 3):
        handler.handle(FakeRecord.of(_notice(number)))
    ledger.today = date(2026, 3, 16)  # a new UTC day: the address may get notices again, but not that one

    assert handler.handle(FakeRecord.of(_notice(3))) is Outcome.DUPLICATE
    assert handler.handle(FakeRecord.of(_notice(4))) is Outcome.SENT
    assert len(transport.sent) == 3


def test_other_addresses_have_their_own_cap(handler: NoticeHandler, transport: FakeTransport) -> None:
    for number in (1, 2, 3):
        handler.handle(FakeRecord.of(_notice(number)))

    assert handler.handle(FakeRecord.of(_notice(4, email="pat@example.com"))) is Outcome.SENT
    assert len(transport.sent) == 3


def test_a_notice_that_failed_and_is_retried_keeps_its_place(
    handler: NoticeHandler, ledger: FakeLedger, transport: FakeTransport
) -> None:
    assert handler.handle(FakeRecord.of(_notice(1))) is Outcome.SENT
    transport.failures.append(TransientDeliveryError("SMTP 451 try again later"))
    with pytest.raises(RetryLaterError):
        handler.handle(FakeRecord.of(_notice(2)))

    assert handler.handle(FakeRecord.of(_notice(3))) is Outcome.CAPPED  # the retrying one still counts
    assert handler.handle(FakeRecord.of(_notice(2))) is Outcome.SENT


def test_a_cap_of_zero_sends_everything(
    ledger: FakeLedger, transport: FakeTransport, dead_letters: FakeDeadLetters
) -> None:
    handler = _handler(ledger, transport, dead_letters, 0)

    outcomes = {handler.handle(FakeRecord.of(_notice(number))) for number in range(30)}

    assert outcomes == {Outcome.SENT}


def test_a_refused_recipient_is_masked_in_the_dead_letter_and_the_ledger(
    handler: NoticeHandler, ledger: FakeLedger, transport: FakeTransport, dead_letters: FakeDeadLetters
) -> None:
    document = _notice(1)
    transport.failures.append(PermanentDeliveryError(f"recipient refused: {ADDRESS}: 550 5.1.1 <{ADDRESS}> unknown"))

    assert handler.handle(FakeRecord.of(document)) is Outcome.DEAD_LETTERED

    ((_, reason),) = dead_letters.records
    assert reason == "delivery refused: recipient refused: r***@example.com: 550 5.1.1 <r***@example.com> unknown"
    assert ledger.rows[document["notice_id"]]["last_error"] == reason


def test_a_malformed_address_and_its_name_are_masked(
    handler: NoticeHandler, ledger: FakeLedger, dead_letters: FakeDeadLetters
) -> None:
    document = _notice(1, email="Robin Quill <robin.quill@@example.com", name=NAME)

    assert handler.handle(FakeRecord.of(document)) is Outcome.DEAD_LETTERED

    ((_, reason),) = dead_letters.records
    assert reason.startswith("cannot render notice: recipient.email: '")
    for secret in ("robin", "Robin", "Quill", "quill"):
        assert secret not in reason
        assert secret not in ledger.rows[document["notice_id"]]["last_error"]


def test_a_temporary_failure_naming_the_recipient_is_masked(
    handler: NoticeHandler, ledger: FakeLedger, transport: FakeTransport
) -> None:
    document = _notice(1)
    transport.failures.append(TransientDeliveryError(f"recipient deferred: {ADDRESS}: 450 mailbox of {NAME} busy"))

    with pytest.raises(RetryLaterError) as retry:
        handler.handle(FakeRecord.of(document))

    expected = "recipient deferred: r***@example.com: 450 mailbox of R*** busy"
    assert str(retry.value) == expected
    assert ledger.rows[document["notice_id"]]["last_error"] == expected
