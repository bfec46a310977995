"""What the login role of each process may do, per table: exactly what that process's SQL does.

A unit test (tests/unit/operations/test_grants_from_sql.py) reads the SQL in each process's package and fails
when a statement needs a right this table lacks, or when a right here is used by no statement. SELECT stands
wherever a statement reads a table's rows: FROM, a WHERE of UPDATE or DELETE, RETURNING, any ON CONFLICT.
No table has a sequence (no serial or identity column), so no role needs USAGE on one.
"""

from __future__ import annotations

from lifecycle.db_logins import WRITERS

Rights = tuple[str, ...]

# consumers/store/repository.py upserts entitlements, releases and held events, inserts revisions and deletes
# the held events a newer holds record no longer lists; consumers/store/postgres.py reads each table back.
STORE: dict[str, Rights] = {
    "entitlements": ("SELECT", "INSERT", "UPDATE"),
    "entitlement_revisions": ("SELECT", "INSERT"),
    "releases": ("SELECT", "INSERT", "UPDATE"),
    "held_events": ("SELECT", "INSERT", "UPDATE", "DELETE"),
}
# consumers/scheduler/queries.py reads the store's tables, keeps its watermark, and notes (and forgets) ticks.
SCHEDULER: dict[str, Rights] = {
    "entitlements": ("SELECT",),
    "releases": ("SELECT",),
    "held_events": ("SELECT",),
    "scheduler_watermarks": ("SELECT", "INSERT", "UPDATE"),
    "scheduler_ticks": ("SELECT", "INSERT", "UPDATE", "DELETE"),
}
# consumers/notifier/ledger.py: one ledger row per notice, inserted or claimed (an upsert) and updated, never deleted;
# the due parked ones are claimed by an UPDATE over a SELECT … FOR UPDATE SKIP LOCKED (UPDATE and SELECT again).
NOTIFIER: dict[str, Rights] = {
    "delivery_ledger": ("SELECT", "INSERT", "UPDATE"),
}

# Process -> table -> rights: one row per process of WRITERS, in its order (the one list of the writing processes).
GRANTS: dict[str, dict[str, Rights]] = dict(zip(WRITERS, (STORE, SCHEDULER, NOTIFIER), strict=True))
