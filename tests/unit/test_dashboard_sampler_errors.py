"""A sampling failure shown by /api/overview carries no credential, even one libpq echoes in a long message."""

from __future__ import annotations

import asyncio

import pytest

from lifecycle.dashboard.sampler import Sampler
from lifecycle.settings import Settings

PASSWORD = "ro-canary-5e1f0c"


def test_sampling_errors_are_redacted_before_they_are_cut_short(monkeypatch: pytest.MonkeyPatch) -> None:
    dsn = f"postgresql://lifecycle_readonly:{PASSWORD}@[::1/lifecycle"
    monkeypatch.setenv("LIFECYCLE_DATABASE_READONLY_URL", dsn)
    sampler = Sampler(Settings.from_env(), interval=1.0)

    def fail() -> None:
        raise ValueError("x" * 140 + f' invalid dsn: "{dsn}"')  # the password straddles the 200th character

    errors: dict[str, str] = {}
    asyncio.run(sampler._part("postgresql", errors, fail))

    assert PASSWORD not in errors["postgresql"]
    assert PASSWORD[:8] not in errors["postgresql"]
    assert errors["postgresql"].startswith("ValueError: xxx")
