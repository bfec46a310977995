"""A URL password with an unencoded `/`, `?` or `#` is refused at load; each piece libpq could echo is masked.

And the secret settings are found whatever the case of their names, as the settings are read.
"""

from __future__ import annotations

import pytest

from consumers.database import connect
from lifecycle.dsn_url import cut_userinfo
from lifecycle.errors import UserError
from lifecycle.redact import dsn_secrets, secret_values
from lifecycle.settings import Settings

SLASHED = "postgresql://lifecycle:Xy7kQ9/kP+qLm==@127.0.0.1:15433/lifecycle"
SPACED = "host=127.0.0.1 port=15433 user=lifecycle password=Hunter2 Secret"


def test_libpq_echoes_a_piece_of_a_slashed_password_and_it_is_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIFECYCLE_DATABASE_URL", SLASHED)
    assert {"Xy7kQ9", "kP+qLm=="} <= set(secret_values())
    with pytest.raises(UserError) as raised:
        connect(SLASHED)  # libpq reads `lifecycle:Xy7kQ9` as host and port: no connection is tried
    message = str(raised.value)
    assert 'invalid integer value "***" for connection option "port"' in message
    assert "Xy7kQ9" not in message
    assert "kP+qLm" not in message


@pytest.mark.parametrize("character", ["/", "?", "#", "@"])
@pytest.mark.parametrize(
    "env",
    [
        "LIFECYCLE_DATABASE_URL",
        "LIFECYCLE_DATABASE_ADMIN_URL",
        "LIFECYCLE_DATABASE_READONLY_URL",
        "lifecycle_database_store_url",
    ],
)
def test_a_url_whose_password_holds_an_unencoded_separator_is_refused_at_load(character: str, env: str) -> None:
    dsn = f"postgres://lifecycle:Xy7kQ9{character}kP+qLm==@db.example:5432/lifecycle"
    assert dsn_secrets(dsn) >= {"Xy7kQ9", "kP+qLm=="}
    with pytest.raises(UserError) as raised:
        Settings.from_env({env: dsn})
    message = str(raised.value)
    assert message == (
        f"{env.upper()} has an unencoded '/', '?', '#' or '@' in its user name or password, which ends or splits "
        "that part of the URL (or an '@' in its database name, which reads alike): percent-encode them (/ as %2F, "
        "? as %3F, # as %23, @ as %40)"
    )


@pytest.mark.parametrize(
    "dsn",
    [
        "postgresql://lifecycle:Xy7kQ9%2FkP%2BqLm%3D%3D@127.0.0.1:15433/lifecycle",  # encoded: as meant
        "postgresql://lifecycle@127.0.0.1:5433/lifecycle?passfile=/home/op/.pgpass",
        "postgresql://db.example:5432/lifecycle?user=app@tenant&sslmode=require",  # the `@` is in the query
        "postgresql:///lifecycle?host=/var/run/postgresql&user=a@b",
        "host=db user=app password=a/b?c#d dbname=lifecycle",  # key=value: libpq reads it whole
        "postgresql://db.example/team@prod",  # the `@` is in the database name
        "postgresql://u:pw@[::1]:5432/team@prod",  # a whole user-info: what follows is the host's
        "postgresql://user@/lifecycle?host=/var/run/postgresql",
        "postgresql://u:@h/lifecycle",
        "",
    ],
)
def test_urls_read_as_meant_and_key_value_dsns_are_taken(dsn: str) -> None:
    assert not cut_userinfo(dsn)
    assert Settings.from_env({"LIFECYCLE_DATABASE_URL": dsn}).database_url.get_secret_value() == dsn


def test_an_encoded_password_keeps_its_pieces_readable() -> None:
    """Only a password libpq may cut is masked piece by piece: host and database names stay readable otherwise."""
    assert dsn_secrets("postgresql://app:pw%2Fsecret@db/lifecycle") == {"pw%2Fsecret", "pw/secret"}


def test_a_lower_case_setting_name_is_a_secret_too(monkeypatch: pytest.MonkeyPatch) -> None:
    assert {"Hunter2 Secret", "Hunter2", "Secret"} <= set(secret_values({"lifecycle_database_url": SPACED}))
    assert "pw-canary" in secret_values({"Lifecycle_Smtp_Password": "pw-canary"})
    monkeypatch.setenv("lifecycle_database_url", SPACED)
    with pytest.raises(UserError) as raised:
        connect(SPACED)
    message = str(raised.value)  # connect() masks libpq's words with the secrets of the environment
    assert 'missing "=" after "***"' in message
    assert "Secret" not in message
    assert "Hunter2" not in message


@pytest.mark.parametrize(
    "dsn",
    [
        "postgresql://lifecycle:#Winter2026@db/lifecycle",
        "postgresql://lifecycle:?Winter2026@db/lifecycle",
        "postgresql://lifecycle:/Winter2026@db/lifecycle",
        "postgresql://lifecycle:2026/Winter@db/lifecycle",
        "postgresql://db.example:5432/team@prod",  # reads as `user:2026/x@host`: encoded, %40, it is taken
    ],
)
def test_a_password_cut_at_its_start_or_after_digits_is_refused(dsn: str) -> None:
    assert cut_userinfo(dsn)
    with pytest.raises(UserError, match="percent-encode them"):
        Settings.from_env({"LIFECYCLE_DATABASE_URL": dsn})
