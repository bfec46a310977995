"""Holds records (events that wait for their serial's purchase) as `held_events` rows, the newest per serial."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from consumers.store.documents import storable_document
from schemas.checks import check_instant, clamped_instant


@dataclass(frozen=True)
class HeldRow:
    """One held event as the columns of `held_events`."""

    serial: str
    event_id: str
    type: str
    occurred_at: datetime
    held_since: datetime


@dataclass(frozen=True)
class Holds:
    """One holds record: every event that waits for the serial's purchase (none: nothing waits), and its position."""

    serial: str
    held: tuple[HeldRow, ...]
    partition: int = -1
    offset: int = -1


def holds_record(raw: bytes | None, partition: int = -1, offset: int = -1) -> Holds:
    """Decode and validate one holds document; raise InvalidMessage saying what is wrong.

    Its events' instants are held to the contract's years, arrival times moved into them; all kept in UTC.
    """
    _, document = storable_document(raw, "holds")
    serial = document["serial"]
    rows: dict[str, HeldRow] = {}
    for index, item in enumerate(document["held"]):
        # An event listed twice is held once (the table's key): the first listing counts.
        rows.setdefault(
            item["event_id"],
            HeldRow(
                serial=serial,
                event_id=item["event_id"],
                type=item["type"],
                occurred_at=check_instant(f"held[{index}].occurred_at", item["occurred_at"]).astimezone(UTC),
                # When it arrived, by the broker's clock or the producer's (a record time of 0 or -1, a clock set
                # wrong): moved into the events' years rather than refused, so the hold is kept and still runs out.
                held_since=clamped_instant(f"held[{index}].since", item["since"]),
            ),
        )
    return Holds(serial, tuple(rows.values()), partition, offset)


def newest_holds(records: Iterable[Holds]) -> list[Holds]:
    """One record per serial, the newest: the highest offset of its partition, by serial.

    The store takes a serial's holds records only from its key's partition (mapping.sort_batch), so they share
    one; only when the partition count is not known can two partitions meet here, and the last seen is kept.
    """
    newest: dict[str, Holds] = {}
    for record in records:
        kept = newest.get(record.serial)
        if kept is None or kept.partition != record.partition or record.offset > kept.offset:
            newest[record.serial] = record
    return [newest[serial] for serial in sorted(newest)]
