"""Support cases (R16): may the CRM take this case, on what basis, and is a Pay Per Incident credit spent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lifecycle.rules.calendar import day_of
from lifecycle.rules.entitlement import PPI_CHANNELS, PROGRAM_TERMS, Entitlement
from lifecycle.rules.fold import Decision, Fold, wait
from lifecycle.rules.model import Event, Notice
from lifecycle.rules.notices import notice
from lifecycle.rules.values import evolve
from schemas.codec import SCHEMA_VERSION

SEVERITY_A_RESPONSE_HOURS = 24  # FAQ (Advantage Premier): initial response within 24 hours for Severity A
CUSTOMER_SERVICE_CHANNELS = ("chat", "email")  # FAQ: customer service is free, by e-mail or chat
RECOVERY_CHANNELS = ("chat", "email")  # FAQ: free warranty support for recovery issues (Home)
# A serial remembers this many of its latest case numbers: the same case sent again among them is not decided
# twice. A bound keeps a serial's state the same size however many cases it has.
CASES_REMEMBERED = 256


@dataclass(frozen=True)
class Verdict:
    """What a case may have: the basis and its terms, or why not and what the customer can do instead."""

    eligible: bool
    basis: str
    channels: tuple[str, ...] = ()
    priority: bool = False
    first_response_hours: int | None = None
    ppi_credit_used: bool = False
    reason: str | None = None
    options: tuple[str, ...] = ()


def on_case(fold: Fold, event: Event) -> Decision:
    """Decide a case once per case number; a Pay Per Incident credit is spent when it is the basis."""
    entitlement = fold.entitlement
    if entitlement is None:
        return wait(fold)  # R14a: the purchase has not come yet
    if entitlement.status == "pending_registration":
        return wait(fold)  # R14a: a boxed product is decided for once registered (what else waits is in then)
    case_number = str(event["case_number"])
    if case_number in entitlement.decided_cases:
        return Decision(fold)  # the same case again: decided, and nothing spent twice
    verdict = decide(entitlement, event)
    decided = evolve(entitlement, decided_cases=(*entitlement.decided_cases, case_number)[-CASES_REMEMBERED:])
    notices: tuple[Notice, ...] = ()
    if verdict.ppi_credit_used:
        decided = evolve(decided, ppi_credits=entitlement.ppi_credits - 1)
        day = day_of(event["occurred_at"])
        notices = (notice("ppi_used", decided, day, case_number, case_number=case_number),)
    return Decision(evolve(fold, entitlement=decided), notices, decisions=(_document(decided, event, verdict),))


def decide(entitlement: Entitlement, event: Event) -> Verdict:
    """The verdict for a case against the entitlement on the case's date (pure, nothing is spent here)."""
    category, channel = event["category"], event["channel"]
    serial = entitlement.serial
    if entitlement.line == "oem":
        reason = f"serial {serial} is an OEM edition: its vendor gives support"
        return Verdict(False, "none", reason=reason, options=("contact_oem_vendor", "knowledge_base"))
    if entitlement.registered_at is not None and entitlement.account_id != event["account_id"]:
        return Verdict(False, "none", reason=f"serial {serial} is registered to another account")
    if category == "customer_service":
        # Download, web-site, account and serial number questions: about any serial the customer has, even one
        # upgraded since.
        if channel in CUSTOMER_SERVICE_CHANNELS:
            return Verdict(True, "customer_service", CUSTOMER_SERVICE_CHANNELS)
        reason = "customer service questions are answered by chat or e-mail, not on the phone"
        return Verdict(False, "none", reason=reason, options=("use_chat_or_email", "knowledge_base"))
    if entitlement.status == "superseded":
        reason = f"serial {serial} was upgraded to {entitlement.upgraded_to}: open the case for that serial"
        return Verdict(False, "none", reason=reason, options=("knowledge_base",))
    if category == "recovery" and entitlement.line == "home" and channel in RECOVERY_CHANNELS:
        return Verdict(True, "recovery_warranty", RECOVERY_CHANNELS)
    return _technical(entitlement, event)


def _technical(entitlement: Entitlement, event: Event) -> Verdict:
    """A technical case (or a recovery case the warranty does not cover): the program, else a PPI credit."""
    terms = PROGRAM_TERMS[entitlement.program]
    channel = event["channel"]
    if entitlement.status == "active" and channel in terms.channels:
        hours = SEVERITY_A_RESPONSE_HOURS if terms.priority and event["severity"] == "A" else None
        return Verdict(True, entitlement.program, terms.channels, terms.priority, hours)
    if entitlement.line == "home" and entitlement.ppi_credits > 0:
        return Verdict(True, "ppi", PPI_CHANNELS, priority=True, ppi_credit_used=True)
    return Verdict(False, "none", reason=_not_covered(entitlement, channel), options=_instead(entitlement, channel))


PROGRAM_NAMES = {
    "advantage_premier": "Acronis Advantage Premier program",
    "home_subscription": "Home subscription",
    "home_perpetual": "Home perpetual license",
    "none": "product",
}


def _not_covered(entitlement: Entitlement, channel: str) -> str:
    serial, program = entitlement.serial, PROGRAM_NAMES[entitlement.program]
    if entitlement.status == "active":
        return f"{channel} support is not included with the {program} of serial {serial}"
    if entitlement.status == "version_unsupported":
        return f"version {entitlement.version} of serial {serial} has left the support lifecycle"
    if entitlement.status == "expired" and entitlement.expires_on is not None:
        return f"the {program} of serial {serial} ended on {entitlement.expires_on.isoformat()}"
    return f"serial {serial} has no support program"


def _instead(entitlement: Entitlement, channel: str) -> tuple[str, ...]:
    """What the FAQ offers instead: Pay Per Incident or a renewal, and the knowledge base."""
    if entitlement.line == "business":
        return ("renew_advantage", "knowledge_base")
    options = ["buy_ppi"]
    if entitlement.program == "home_subscription":
        options.append("renew_subscription")
    if entitlement.status == "active" and channel == "phone":
        options.append("use_chat_or_email")
    return (*options, "knowledge_base")


def _document(entitlement: Entitlement, event: Event, verdict: Verdict) -> dict[str, Any]:
    """The case decision as the CRM reads it (value of the case-decisions topic)."""
    return {
        "decision_id": f"decision:{entitlement.serial}:{event['case_number']}",
        "schema_version": SCHEMA_VERSION,
        "case_number": event["case_number"],
        "serial": entitlement.serial,
        "account_id": event["account_id"],
        "decided_at": event["occurred_at"],
        "eligible": verdict.eligible,
        "basis": verdict.basis,
        "channels": sorted(verdict.channels),
        "priority": verdict.priority,
        "first_response_hours": verdict.first_response_hours,
        "ppi_credit_used": verdict.ppi_credit_used,
        "ppi_credits_left": entitlement.ppi_credits,
        "reason": verdict.reason,
        "options": list(verdict.options),
    }
