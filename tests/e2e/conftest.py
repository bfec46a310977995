"""Browser and `lifecycle up` tests: the dashboard fixtures come from tests/integration/dashboard."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration" / "dashboard"))

from dashboard_fixtures import dashboard, migrated, worker_metrics

__all__ = ["dashboard", "migrated", "worker_metrics"]
