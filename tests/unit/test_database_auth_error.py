"""A refused PostgreSQL login stops a process in one line naming LIFECYCLE_DATABASE_URL, without the password."""

from __future__ import annotations

from typing import Any

import psycopg2
import pytest

from consumers import database as db
from lifecycle.errors import UserError

PASSWORD = "dbpw-canary-91ac"
REFUSED = (
    'connection to server at "127.0.0.1", port 5432 failed: FATAL:  password authentication failed for user "app"\n'
)


def test_a_refused_login_is_a_one_line_user_error_not_a_retry(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise psycopg2.OperationalError(REFUSED)

    monkeypatch.setattr(psycopg2, "connect", refuse)
    monkeypatch.setenv("LIFECYCLE_DATABASE_URL", f"postgresql://app:{PASSWORD}@127.0.0.1/lifecycle")

    with pytest.raises(UserError) as refused:
        db.connect(f"postgresql://app:{PASSWORD}@127.0.0.1/lifecycle")

    message = str(refused.value)
    assert not isinstance(refused.value, db.DatabaseUnavailableError)  # waiting cannot cure a wrong password
    assert 'password authentication failed for user "app"' in message
    assert message.endswith("check LIFECYCLE_DATABASE_URL")
    assert "\n" not in message
    assert PASSWORD not in message
