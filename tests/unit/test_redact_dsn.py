"""A DSN's password is masked whole, even when a space splits it and libpq quotes one of its words back.

Only the password is masked: a mistyped keyword after it, and its value, stay readable (libpq names the mistake).
"""

from __future__ import annotations

import pytest
from psycopg2 import ProgrammingError
from psycopg2.extensions import parse_dsn

from consumers.database import connect
from lifecycle.errors import UserError
from lifecycle.redact import dsn_password, dsn_secrets, redact, secret_values

SPACED = "host=127.0.0.1 port=1 user=app password=Tr0ub4dor&3 horse"


@pytest.mark.parametrize(
    ("dsn", "password"),
    [
        (SPACED, "Tr0ub4dor&3 horse"),  # libpq stops at the space; the rest of the value is still the password
        ("host=db password=correct horse battery port=5432", "correct horse battery"),  # up to the next `word=`
        ("password=two words sslmode=require user=app", "two words"),
        ("host=db password=Tr0ub4dor&3 horse=x user=app", "Tr0ub4dor&3"),  # `horse=` is an option, if unknown
        ("host=db password=a=b sslmode=require", "a=b"),
        ("host=db password=kv-secret port=5432", "kv-secret"),
        ("host=db password='quoted secret' port=5432", "quoted secret"),
        ("host=db password=trailing   ", "trailing"),
    ],
)
def test_an_unquoted_password_runs_to_the_next_option_or_the_end(dsn: str, password: str) -> None:
    assert dsn_password(dsn) == password


def test_each_word_of_an_unquoted_spaced_password_is_a_secret_but_a_quoted_one_stays_whole() -> None:
    assert {"Tr0ub4dor&3 horse", "Tr0ub4dor&3", "horse"} <= dsn_secrets(SPACED)
    assert dsn_secrets("host=db password='quoted secret' port=5432") == {"quoted secret"}
    assert dsn_secrets("host=db password=one-word port=5432") == {"one-word"}


@pytest.mark.parametrize(
    ("dsn", "echoed"),
    [
        (SPACED, 'missing "=" after "***"'),
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


@pytest.mark.parametrize(
    ("dsn", "option"),
    [
        ("host=db.internal port=5432 dbname=lifecycle user=app password=hunter22 sslmdoe=require", "sslmdoe"),
        ("host=db.internal user=app password=hunter22 dbnmae=lifecycle", "dbnmae"),
        ("host=db.internal password=hunter22  horse =x", "horse"),
    ],
)
def test_a_mistyped_keyword_after_the_password_stays_readable(dsn: str, option: str) -> None:
    with pytest.raises(ProgrammingError) as raised:
        parse_dsn(dsn)  # libpq's own parser: it names the option, and needs no server
    secrets = secret_values({"LIFECYCLE_DATABASE_URL": dsn})
    assert secrets == ("hunter22",)
    assert f'invalid connection option "{option}"' in redact(str(raised.value), secrets)
    line = "store: committed lifecycle.entitlements partition 3 offset 120; sslmode require"
    assert redact(line, secrets) == line


@pytest.mark.parametrize(
    "dsn",
    [
        r"host=db user=app password='it\'s s3cret' dbname=lifecycle",
        r"host=db password='back\\slash\\' port=5432",
        r"host=db password=sp\ aced port=5432",
    ],
)
def test_an_escaped_password_is_masked_as_libpq_reads_it(dsn: str) -> None:
    password = parse_dsn(dsn)["password"]
    secrets = secret_values({"LIFECYCLE_DATABASE_URL": dsn})
    assert password in secrets
    assert redact(f"connecting with {password} now", secrets) == "connecting with *** now"


@pytest.mark.parametrize(
    "dsn",
    [
        r"host=db password=s3cr\ etx=leaked user=app",  # an escaped space: `etx=leaked` is still the password's
        "host=db password=first-value password=realsecret user=app",  # libpq keeps the last of a repeated keyword
    ],
)
def test_the_password_libpq_uses_is_masked(dsn: str) -> None:
    password = parse_dsn(dsn)["password"]
    secrets = secret_values({"LIFECYCLE_DATABASE_URL": dsn})
    assert redact(f"pw {password} end", secrets) == "pw *** end"
    assert "leaked" not in redact(dsn, secrets)
    assert "realsecret" not in redact(dsn, secrets)
