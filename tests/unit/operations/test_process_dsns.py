"""Each writing process reads a DSN setting of its own, falls back to DATABASE_URL, and gets only its own from `up`."""

from __future__ import annotations

import pytest

from consumers.database import process_dsn, process_setting
from lifecycle.db_logins import WRITERS, dsn_env
from lifecycle.redact import SECRET_SETTINGS
from lifecycle.settings import Settings
from lifecycle.stack import credentials
from lifecycle.up_children import CHILD_SECRETS, own_secrets_only

pytestmark = pytest.mark.unit

OWN = {process: f"postgresql://{process}:{process}-secret@db.example/lifecycle" for process in WRITERS}
SHARED = "postgresql://app:shared-secret@db.example/lifecycle"


def test_each_process_logs_in_with_its_own_setting_before_the_shared_one() -> None:
    settings = Settings.from_env({**{dsn_env(p): dsn for p, dsn in OWN.items()}, "LIFECYCLE_DATABASE_URL": SHARED})

    assert {process: process_dsn(settings, process) for process in WRITERS} == OWN
    assert {process_setting(settings, process) for process in WRITERS} == {dsn_env(p) for p in WRITERS}


def test_without_its_own_setting_a_process_takes_database_url_then_the_local_stack_role() -> None:
    shared = Settings.from_env({"LIFECYCLE_DATABASE_URL": SHARED, dsn_env("store"): OWN["store"]})
    local = Settings.from_env({})

    assert [process_dsn(shared, process) for process in WRITERS] == [OWN["store"], SHARED, SHARED]
    assert process_setting(shared, "notifier") == "LIFECYCLE_DATABASE_URL"
    for process in WRITERS:
        assert process_dsn(local, process) == credentials.process_dsn(local, process)
        assert process_dsn(local, process).startswith(f"postgresql://lifecycle_{process}@")


def test_the_process_dsns_are_secret_and_each_child_receives_its_own_alone() -> None:
    environment = {dsn_env(p): dsn for p, dsn in OWN.items()} | {"LIFECYCLE_DATABASE_URL": SHARED}
    settings = Settings.from_env(environment)

    assert {dsn_env(process) for process in WRITERS} <= set(SECRET_SETTINGS)
    assert not any(f"{process}-secret" in repr(settings) for process in WRITERS)
    for process in WRITERS:
        received = own_secrets_only(environment, process)
        assert {name for name in received if name.startswith("LIFECYCLE_DATABASE_")} == {
            dsn_env(process),
            "LIFECYCLE_DATABASE_URL",
        }
        assert process_dsn(Settings.from_env(received), process) == OWN[process]
    readers = {name for name, secrets in CHILD_SECRETS.items() if secrets & {dsn_env(p) for p in WRITERS}}
    assert readers == set(WRITERS)
