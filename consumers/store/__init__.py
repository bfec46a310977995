"""The entitlement store: the entitlements, releases and holds topics, kept as PostgreSQL tables.

`lifecycle store` consumes `<prefix>.entitlements` into `entitlements` (the current snapshot per
serial, with the columns the scheduler and the dashboard query, and the whole document as jsonb)
and `entitlement_revisions` (every revision), `<prefix>.releases` into `releases` (family,
version, line, released_on), and `<prefix>.holds` into `held_events` (the events that wait for
their serial's purchase, as the newest holds record of each serial lists them). The scheduler
builds its release catalog from `releases` rather than reading the whole releases topic on every
sweep, and ticks held events past the hold period from `held_events`.
The handler (`sink.py`) writes through the entitlement repository port (`entitlements.py`), whose PostgreSQL
adapter is `postgres.py`.
"""
