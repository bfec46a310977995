"""Token guessing is bounded per client, and sessions expire, are signed and can be ended."""

from __future__ import annotations

import pytest

from lifecycle.dashboard.login_limit import FIRST_LOCKOUT_S, LONGEST_LOCKOUT_S, MAX_FAILURES, LoginLimiter
from lifecycle.dashboard.sessions import Sessions
from lifecycle.errors import UserError
from lifecycle.settings import Settings
from lifecycle.settings_types import MIN_TOKEN_LENGTH


def test_a_client_may_try_a_few_wrong_tokens_then_is_locked_out() -> None:
    limiter = LoginLimiter()
    lockouts = [limiter.failed("10.0.0.1", 100.0) for _ in range(MAX_FAILURES)]

    assert lockouts == [0.0] * (MAX_FAILURES - 1) + [FIRST_LOCKOUT_S]
    assert limiter.retry_after("10.0.0.1", 100.0) == FIRST_LOCKOUT_S
    assert limiter.retry_after("10.0.0.2", 100.0) == 0.0  # per client
    assert limiter.retry_after("10.0.0.1", 100.0 + FIRST_LOCKOUT_S) == 0.0


def test_each_further_wrong_token_doubles_the_lockout_up_to_an_hour() -> None:
    limiter, now, lockouts = LoginLimiter(), 0.0, []
    for _ in range(MAX_FAILURES - 1):
        limiter.failed("c", now)
    for _ in range(8):
        lockout = limiter.failed("c", now)
        lockouts.append(lockout)
        now += lockout  # the client waits out each lockout, then guesses again

    assert lockouts == [60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, LONGEST_LOCKOUT_S, LONGEST_LOCKOUT_S]
    # At most MAX_FAILURES + 7 guesses in the first two hours, then one an hour.
    assert now >= 2 * 3600


def test_a_right_token_or_an_hour_of_quiet_starts_a_client_afresh() -> None:
    limiter = LoginLimiter()
    for _ in range(MAX_FAILURES - 1):
        limiter.failed("c", 0.0)
    limiter.succeeded("c")
    assert limiter.failed("c", 1.0) == 0.0
    for _ in range(MAX_FAILURES - 2):
        limiter.failed("c", 2.0)
    assert limiter.failed("c", 2.0 + 3601) == 0.0


def test_sessions_are_signed_expire_and_can_be_ended() -> None:
    sessions = Sessions(lifetime_s=3600, key=b"k" * 32)
    value = sessions.issue(now=1000.0)
    expiry, nonce, signature = value.split(".")

    assert int(expiry) == 4600
    assert sessions.valid(value, 1001.0)
    assert not sessions.valid(value, 4600.0)
    assert not sessions.valid(f"9999999999.{nonce}.{signature}", 1001.0)  # a later expiry breaks the signature
    assert not Sessions(3600, key=b"x" * 32).valid(value, 1001.0)  # another process's key
    assert not sessions.valid("", 1001.0)
    assert sessions.issue(1000.0) != value
    sessions.revoke(value, 1002.0)
    assert not sessions.valid(value, 1003.0)


@pytest.mark.parametrize("setting", ["LIFECYCLE_DASHBOARD_TOKEN", "LIFECYCLE_DASHBOARD_OPERATOR_TOKEN"])
@pytest.mark.parametrize("token", ["Q", "Qz7kP", "Qz7kP9wX3mR2tY5"])  # 1, 5 and 15 characters
def test_a_short_configured_token_is_refused_naming_the_setting(setting: str, token: str) -> None:
    # Every process reads it with its settings, so `lifecycle up` refuses it before starting anything.
    with pytest.raises(UserError) as refused:
        Settings.from_env({setting: token})
    message = str(refused.value)
    assert message.startswith(f"{setting} has {len(token)} characters")
    assert f"at least {MIN_TOKEN_LENGTH}" in message
    assert "\n" not in message
    assert token not in message


def test_an_empty_or_long_enough_token_is_accepted() -> None:
    assert Settings.from_env({"LIFECYCLE_DASHBOARD_TOKEN": ""}).dashboard_token.get_secret_value() == ""
    token = "x" * MIN_TOKEN_LENGTH
    assert Settings.from_env({"LIFECYCLE_DASHBOARD_TOKEN": token}).dashboard_token.get_secret_value() == token
