"""From Kafka records to table rows: decode, validate, map, and keep the newest revision per serial."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from consumers.record import Record
from consumers.store.documents import check_storable, json_text, storable_document
from consumers.store.holds import Holds, holds_record
from consumers.store.keys import check_key, check_partition
from lifecycle.rules.support import LAST_EXPIRY
from schemas import InvalidMessage, decode_event, parse_date
from schemas.checks import FIRST_INSTANT, FIRST_YEAR, check_date, check_instant

MAX_BIGINT = 2**63 - 1


@dataclass(frozen=True)
class EntitlementRow:
    """One entitlement snapshot as the columns of `entitlements` (and `entitlement_revisions`)."""

    serial: str
    account_id: str
    status: str
    program: str
    line: str
    family: str
    version: str
    channel: str
    starts_on: date | None
    expires_on: date | None
    version_supported: bool
    revision: int
    updated_at: datetime
    document: str


@dataclass(frozen=True)
class ReleaseRow:
    """One release event as the columns of `releases`."""

    family: str
    version: str
    line: str
    released_on: date
    event_id: str


@dataclass(frozen=True)
class Rejected:
    """A record the store cannot understand, and why."""

    record: Record
    reason: str


@dataclass
class Batch:
    """A poll batch sorted into what to write and what to dead-letter."""

    entitlements: list[EntitlementRow] = field(default_factory=list)
    releases: list[ReleaseRow] = field(default_factory=list)
    holds: list[Holds] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)


def entitlement_row(raw: bytes | None) -> EntitlementRow:
    """Decode and validate one entitlement snapshot; raise InvalidMessage saying what is wrong."""
    text, document = storable_document(raw, "entitlement")
    if document["revision"] > MAX_BIGINT:
        raise InvalidMessage(f"revision: {document['revision']} is larger than {MAX_BIGINT}")
    product, support = document["product"], document["support"]
    # Held to the years of the events a snapshot is made from: a stored date outside them breaks the rules' arithmetic.
    if document["registered_at"] is not None:
        check_instant("registered_at", document["registered_at"])
    check_instant("purchased_at", document["purchased_at"])
    return EntitlementRow(
        serial=document["serial"],
        account_id=document["account_id"],
        status=document["status"],
        program=support["program"],
        line=product["line"],
        family=product["family"],
        version=product["version"],
        channel=document["channel"],
        starts_on=None if support["starts_on"] is None else check_date("support.starts_on", support["starts_on"]),
        expires_on=None if support["expires_on"] is None else _expiry(support["expires_on"]),
        version_supported=document["version_supported"],
        revision=document["revision"],
        updated_at=_last_change(document["updated_at"]),
        document=text,
    )


def release_row(raw: bytes | None) -> ReleaseRow:
    """Decode and validate one release event; raise InvalidMessage saying what is wrong."""
    text = json_text(raw)
    event = decode_event(text)
    check_storable(text, event)
    if event["type"] != "release":
        raise InvalidMessage(f"type: {event['type']!r} on the releases topic; expected 'release'")
    product = event["product"]
    return ReleaseRow(
        family=product["family"],
        version=product["version"],
        line=product["line"],
        released_on=parse_date(event["released_on"], "released_on"),
        event_id=event["event_id"],
    )


def newest_per_serial(rows: Iterable[EntitlementRow]) -> list[EntitlementRow]:
    """One row per serial, the one with the highest revision (an upsert may touch a key once)."""
    newest: dict[str, EntitlementRow] = {}
    for row in rows:
        kept = newest.get(row.serial)
        if kept is None or row.revision > kept.revision:
            newest[row.serial] = row
    return sorted(newest.values(), key=lambda row: row.serial)


def distinct_revisions(rows: Iterable[EntitlementRow]) -> list[EntitlementRow]:
    """One row per (serial, revision), the first seen."""
    distinct: dict[tuple[str, int], EntitlementRow] = {}
    for row in rows:
        distinct.setdefault((row.serial, row.revision), row)
    return sorted(distinct.values(), key=lambda row: (row.serial, row.revision))


def last_per_version(rows: Iterable[ReleaseRow]) -> list[ReleaseRow]:
    """One row per (family, version), the last in topic order."""
    last = {(row.family, row.version): row for row in rows}
    return [last[key] for key in sorted(last)]


def sort_batch(
    records: Sequence[Record],
    entitlements_topic: str,
    releases_topic: str,
    holds_topic: str,
    holds_partitions: int | None = None,
) -> Batch:
    """Decode every record of a poll batch; what cannot be understood is rejected with its reason.

    A snapshot or holds record must be keyed by its serial; a holds record must also be on its key's murmur2
    partition when `holds_partitions` (the topic's partition count) is known, so a serial's holds records are
    ordered by their offsets and a misrouted one cannot replace a newer list.
    """
    batch = Batch()
    for record in records:
        try:
            if record.topic == entitlements_topic:
                row = entitlement_row(record.value)
                check_key(record, row.serial)
                batch.entitlements.append(row)
            elif record.topic == releases_topic:
                batch.releases.append(release_row(record.value))
            elif record.topic == holds_topic:
                holds = holds_record(record.value, record.partition, record.offset)
                check_key(record, holds.serial)
                check_partition(record, holds_partitions)
                batch.holds.append(holds)
            else:
                raise InvalidMessage(f"topic: the store does not read {record.topic!r}")
        except InvalidMessage as exc:
            batch.rejected.append(Rejected(record, str(exc)))
    return batch


def _expiry(value: str) -> date:
    """`support.expires_on`: from 1990 through the rules' last expiry (stacked renewals run past the events' 2100)."""
    day = check_date("support.expires_on", value, bounded=False)
    if not date(FIRST_YEAR, 1, 1) <= day <= LAST_EXPIRY:
        raise _past_expiries("support.expires_on", value)
    return day


def _last_change(value: str) -> datetime:
    """`updated_at`: an event's instant or a change as time passes (support that ends), so up to the last expiry."""
    instant = check_instant("updated_at", value, bounded=False)
    # The year first: moving year 1 or 9999 to UTC can leave the calendar.
    if not (FIRST_YEAR <= instant.year <= LAST_EXPIRY.year and FIRST_INSTANT <= instant <= _AFTER_LAST_EXPIRY):
        raise _past_expiries("updated_at", value)
    return instant


_AFTER_LAST_EXPIRY = datetime.combine(LAST_EXPIRY, time.max, UTC)


def _past_expiries(name: str, value: str) -> InvalidMessage:
    return InvalidMessage(
        f"{name}: {value!r} is outside {FIRST_YEAR}-01-01 through {LAST_EXPIRY.isoformat()}, "
        "the days a support period can end on; send the real date"
    )
