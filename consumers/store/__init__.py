"""The entitlement store: the entitlements and releases topics, kept as PostgreSQL tables.

`lifecycle store` consumes `<prefix>.entitlements` into `entitlements` (the current snapshot per
serial, with the columns the scheduler and the dashboard query, and the whole document as jsonb)
and `entitlement_revisions` (every revision), and `<prefix>.releases` into `releases` (family,
version, line, released_on). The scheduler builds its release catalog from that table rather than
reading the whole releases topic on every sweep.
"""
