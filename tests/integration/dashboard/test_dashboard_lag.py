"""The dashboard's lag per group is what Kafka's own ConsumerGroupCommand (kafka-consumer-groups) reports.

The worker, store and notifier run on sample traffic, stop one after the other while more traffic comes, and
then the dashboard's partitions are compared with the tool's (run from the stack's jars, as the broker is).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from dashboard_fixtures import Dashboard
from ports import free_port

from lifecycle.groups import ALL_GROUPS, PROCESSOR
from lifecycle.samples import build_sample
from lifecycle.settings import Settings
from streams.harness import WorkerProcess, produce, route_line, wait_caught_up

# The stack's home (read before any test sets its own LIFECYCLE_HOME): `lifecycle stack up` keeps its jars there.
STACK_HOME = Path(os.environ.get("LIFECYCLE_HOME", ".lifecycle")).resolve()
TOOL = "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand"
BATCH = 60
Partition = tuple[str, int]


def kafka_reports(bootstrap: str, group: str) -> dict[Partition, int]:
    """The lag of every partition with a committed offset, as `kafka-consumer-groups --describe` prints it."""
    jars = STACK_HOME / "kafka" / "jars"
    java = shutil.which("java")
    if java is None or not any(jars.glob("kafka-tools-*.jar")):
        pytest.fail(f"no java or no Kafka tools jar in {jars}: set LIFECYCLE_HOME to the stack's home", pytrace=False)
    command = [java, "-cp", f"{jars}/*", TOOL, "--bootstrap-server", bootstrap, "--describe", "--group", group]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = [line.split() for line in result.stdout.splitlines()]
    return {(row[1], int(row[2])): int(row[5]) for row in rows if len(row) >= 6 and row[0] == group and row[5] != "-"}


def dashboard_rows(overview: dict[str, Any], group: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = next(row for row in overview["groups"] if row["group"] == group)["partitions"]
    return rows


def agrees(rows: list[dict[str, Any]], reported: dict[Partition, int]) -> bool:
    """Same lag wherever Kafka has a committed offset; elsewhere nothing committed, lag counted from the start."""
    shown = {(row["topic"], row["partition"]): row for row in rows}
    same = all(key in shown and shown[key]["lag"] == lag for key, lag in reported.items())
    uncommitted = [row for key, row in shown.items() if key not in reported]
    return same and all(row["committed"] is None and row["lag"] == row["end"] for row in uncommitted)


@pytest.fixture
def processes(migrated: Settings, lifecycle_env: dict[str, str], tmp_path: Path) -> Iterator[dict[str, Any]]:
    """The worker, store and notifier of this test's prefix, running; whatever still runs is stopped afterwards."""
    env = {**lifecycle_env, "LIFECYCLE_METRICS_PORT": "0", "LIFECYCLE_SMTP_HOST": ""}
    running: dict[str, Any] = {
        "worker": WorkerProcess(env, tmp_path / "worker", free_port(), tmp_path / "worker.log").start()
    }
    for name in ("store", "notifier"):
        with (tmp_path / f"{name}.log").open("wb") as log:
            command = [sys.executable, "-m", "lifecycle.cli", name]
            running[name] = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    yield running
    running["worker"].stop()
    for name in ("store", "notifier"):
        stop(running[name])


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def send(settings: Settings, events: list[dict[str, Any]]) -> None:
    produce(settings, [route_line(orjson.dumps(event).decode(), n) for n, event in enumerate(events)])


def test_each_groups_lag_is_what_kafka_reports(
    dashboard: Dashboard, migrated: Settings, processes: dict[str, Any]
) -> None:
    settings, prefix = migrated, migrated.topic_prefix
    sample = build_sample()[: 3 * BATCH]
    names = {group.component: group.name(prefix) for group in ALL_GROUPS}

    send(settings, sample[:BATCH])
    wait_caught_up(settings)
    dashboard.poll(
        "/api/groups",
        lambda g: all(row["total_lag"] == 0 and row["state"] == "Stable" for row in g["groups"]),
        timeout=120,
    )
    stop(processes["store"])
    stop(processes["notifier"])
    send(settings, sample[BATCH : 2 * BATCH])  # processed: the store and the notifier fall behind
    wait_caught_up(settings)
    processes["worker"].stop()
    third = sample[2 * BATCH :]
    send(settings, third)  # nobody reads: the processor falls behind too, except on releases (not its topic)

    reported = {group: kafka_reports(settings.kafka_bootstrap[0], name) for group, name in names.items()}
    unread = sum(event["type"] != "release" for event in third)
    overview = dashboard.poll(
        "/api/groups",
        lambda g: (
            all(agrees(dashboard_rows(g, name), reported[group]) for group, name in names.items())
            and all(row["state"] == "Empty" for row in g["groups"])  # known to the broker, none running
            and next(row for row in g["groups"] if row["group"] == names["processor"])["total_lag"] == unread
        ),
        timeout=60,
    )
    by_name = {row["group"]: row for row in overview["groups"]}
    assert [row["group"] for row in overview["groups"]] == list(names.values())
    assert all(by_name[name]["total_lag"] > 0 for name in names.values())
    topics_read = {spec.name(prefix) for spec in PROCESSOR.reads}
    assert {topic for topic, _ in reported["processor"]} <= topics_read
    assert {row["topic"] for row in by_name[names["processor"]]["partitions"]} == topics_read
    assert all(sum(reported[group].values()) > 0 for group in names)  # Kafka sees every group behind too
