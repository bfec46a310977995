"""The dashboard fixtures, shared with the browser tests in tests/e2e."""

from dashboard_fixtures import dashboard, migrated, worker_metrics

__all__ = ["dashboard", "migrated", "worker_metrics"]
