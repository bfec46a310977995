"""A DSN's password is masked whole, even when a space splits it and libpq quotes one of its words back."""

from __future__ import annotations

import pytest

from consumers.database import connect
from lifecycle.errors import UserError
from lifecycle.redact import dsn_password, dsn_secrets, secret_values

SPACED = "host=127.0.0.1 port=1 user=app password=Tr0ub4dor&3 horse"


@pytest.mark.parametrize(
    ("dsn", "password"),
    [
        (SPACED, "Tr0ub4dor&3 horse"),  # libpq stops at the space; the rest of the value is still the password
        ("host=db password=correct horse battery port=5432", "correct horse battery"),  # up to the next keyword
        ("password=two words sslmode=require user=app", "two words"),
        ("host=db password=Tr0ub4dor&3 horse=x user=app", "Tr0ub4dor&3 horse=x"),  # `horse` is no libpq keyword
        ("host=db password=kv-secret port=5432", "kv-secret"),
        ("host=db password='quoted secret' port=5432", "quoted secret"),
        ("host=db password=trailing   ", "trailing"),
    ],
)
def test_an_unquoted_password_runs_to_the_next_keyword_or_the_end(dsn: str, password: str) -> None:
    assert dsn_password(dsn) == password


def test_each_word_of_an_unquoted_spaced_password_is_a_secret_but_a_quoted_one_stays_whole() -> None:
    assert {"Tr0ub4dor&3 horse", "Tr0ub4dor&3", "horse"} <= dsn_secrets(SPACED)
    assert dsn_secrets("host=db password='quoted secret' port=5432") == {"quoted secret"}
    assert dsn_secrets("host=db password=one-word port=5432") == {"one-word"}


@pytest.mark.parametrize(
    ("dsn", "echoed"),
    [
        (SPACED, 'missing "=" after "***"'),
        ("host=127.0.0.1 port=1 password=Tr0ub4dor&3 horse=x user=app", 'invalid connection option "***"'),
    ],
)
def test_libpq_never_shows_a_word_of_a_spaced_password(dsn: str, echoed: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIFECYCLE_DATABASE_ADMIN_URL", dsn)
    assert "horse" in secret_values()
    with pytest.raises(UserError) as raised:
        connect(dsn, setting="LIFECYCLE_DATABASE_ADMIN_URL")  # libpq refuses it before any connection is tried
    message = str(raised.value)
    assert echoed in message
    assert "horse" not in message
    assert "Tr0ub4dor" not in message
