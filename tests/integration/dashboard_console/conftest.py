"""The console tests run the dashboard of tests/integration/dashboard, with or without the operator token."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "dashboard"))

from dashboard_fixtures import dashboard, migrated, worker_metrics

__all__ = ["dashboard", "migrated", "worker_metrics"]


@pytest.fixture
def operator_token() -> str:
    """The dashboard's operator token: none (redrive off) unless a test parametrizes it."""
    return ""


@pytest.fixture
def lifecycle_env(lifecycle_env: dict[str, str], operator_token: str) -> dict[str, str]:
    """This test's environment with the operator token it asks for."""
    return {**lifecycle_env, "LIFECYCLE_DASHBOARD_OPERATOR_TOKEN": operator_token}
