"""R16 end to end: a case produced by the CRM with kcat is decided on case-decisions, and the credit it spends
reaches the entitlements topic and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from kcat import kcat_produce
from ports import free_port
from processor_harness import latest_by_key
from store_helpers import query, wait_for

from lifecycle.samples import events as ev
from lifecycle.settings import Settings
from streams.harness import WorkerProcess, produce, read_all, route_line, wait_caught_up

pytestmark = pytest.mark.integration

BOUGHT = datetime(2025, 2, 3, 10, tzinfo=UTC)


@pytest.fixture
def worker(topics: Settings, lifecycle_env: dict[str, str], tmp_path: Path) -> Iterator[WorkerProcess]:
    process = WorkerProcess(lifecycle_env, tmp_path / "worker", free_port(), tmp_path / "worker.log").start()
    yield process
    process.stop()


def _case(event_id: str, number: str, channel: str = "phone", days: int = 30) -> tuple[bytes, bytes]:
    case = ev.case(event_id, BOUGHT + timedelta(days=days), "SF-CASE-1", "acc-c", number, "technical", channel, "B")
    return b"SF-CASE-1", orjson.dumps(case)


def test_a_crm_case_spends_one_credit_and_the_store_sees_the_count_drop(
    running_store: Settings, worker: WorkerProcess
) -> None:
    settings = running_store
    purchase = ev.purchase("c-p", BOUGHT, "SF-CASE-1", "acc-c", "true-image", "2025")
    credits = ev.ppi("c-i", BOUGHT + timedelta(days=2), "SF-CASE-1", "acc-c", quantity=2)
    produce(settings, [route_line(orjson.dumps(event).decode(), 0) for event in (purchase, credits)])
    wait_caught_up(settings)
    stored = "SELECT document->'support'->>'ppi_credits' FROM entitlements WHERE serial = 'SF-CASE-1'"
    wait_for(lambda: query(settings.database_url.get_secret_value(), stored) == [("2",)], "two credits in PostgreSQL")

    # The CRM's client partitions with CRC32 (kcat's default); the same case comes twice, then a second case.
    kcat_produce(settings, "cases", [_case("c-1", "CN-1"), _case("c-1-again", "CN-1"), _case("c-2", "CN-2", "email")])
    wait_caught_up(settings)

    decisions = [orjson.loads(record.value) for record in read_all(settings, "case-decisions")]
    assert [(d["case_number"], d["basis"], d["ppi_credit_used"], d["ppi_credits_left"]) for d in decisions] == [
        ("CN-1", "ppi", True, 1),
        ("CN-2", "home_perpetual", False, 1),
    ]
    assert decisions[0]["channels"] == ["chat", "email", "phone"]
    assert latest_by_key(settings, "entitlements")["SF-CASE-1"]["support"]["ppi_credits"] == 1
    kinds = [orjson.loads(record.value)["kind"] for record in read_all(settings, "notices")]
    assert kinds.count("ppi_used") == 1
    wait_for(
        lambda: query(settings.database_url.get_secret_value(), stored) == [("1",)], "the spent credit in PostgreSQL"
    )
    assert read_all(settings, "deadletter") == []
