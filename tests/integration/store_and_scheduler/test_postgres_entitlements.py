"""The entitlement repository's contract (tests/entitlements_contract.py) held against PostgresEntitlements."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from entitlements_contract import EntitlementsContract
from pg_admin import with_role

from consumers.db import migrate
from consumers.store.postgres import PostgresEntitlements
from lifecycle.settings import Settings


class TestPostgresEntitlements(EntitlementsContract):
    @pytest.fixture
    def repository(self, settings: Settings) -> Iterator[PostgresEntitlements]:
        """PostgresEntitlements as the app role on this test's own database, migrated as `lifecycle db migrate` does."""
        migrate(settings)
        repository = PostgresEntitlements(with_role(settings.database_url.get_secret_value(), settings.db_store_role))
        yield repository
        repository.close()
