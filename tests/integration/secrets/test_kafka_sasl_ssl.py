"""Transport security end to end: a second broker with a SASL_SSL listener and SCRAM-SHA-512 users.

The right password creates the topics, emits events through it and runs the worker and the store on it; a wrong
password, a CA that did not sign the broker's certificate and a host name the certificate does not carry each stop
the command with one line naming the setting to check, a non-zero exit and no password in any output.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import psycopg2
import pytest
import trustme
from ports import free_port
from sasl_broker import SaslBroker

from lifecycle.samples import build_sample
from streams.harness import WorkerProcess

PORT, CONTROLLER_PORT = 29292, 29293
USER, PASSWORD = "lifecycle", "scram-right-4f1d9a"
WRONG_PASSWORD = "saslcanary-0b6e11"  # the canary of test_canaries_in_output, here as a wrong password


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SaslBroker]:
    """The SASL_SSL broker on 29292 (controller 29293), in a folder of its own; stopped by its PID."""
    server = SaslBroker(tmp_path_factory.mktemp("sasl-broker"), PORT, CONTROLLER_PORT, {USER: PASSWORD}, trustme.CA())
    try:
        server.start()
        yield server
    finally:
        server.stop()


def _env(broker: SaslBroker, tmp_path: Path, **changes: str) -> dict[str, str]:
    base = {name: value for name, value in os.environ.items() if not name.startswith("LIFECYCLE_")}
    return {
        **base,
        "LIFECYCLE_HOME": str(tmp_path / "home"),
        "LIFECYCLE_TOPIC_PREFIX": f"sasl{tmp_path.name[-6:]}".replace("_", ""),
        "LIFECYCLE_KAFKA_BOOTSTRAP": broker.bootstrap,
        "LIFECYCLE_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "LIFECYCLE_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "LIFECYCLE_KAFKA_SASL_USERNAME": USER,
        "LIFECYCLE_KAFKA_SASL_PASSWORD": PASSWORD,
        "LIFECYCLE_KAFKA_SSL_CAFILE": broker.ca_file,
        "LIFECYCLE_METRICS_PORT": "0",
        "LIFECYCLE_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",  # no test here reaches PostgreSQL
        **changes,
    }


def _lifecycle(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "lifecycle.cli", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)


def _refused_in_one_line(done: subprocess.CompletedProcess[str], command: str, setting: str) -> str:
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert "Traceback" not in output
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith(f"lifecycle {command}: ")
    assert setting in done.stderr
    assert "lifecycle stack up" not in done.stderr
    assert PASSWORD not in output
    assert WRONG_PASSWORD not in output
    return done.stderr.strip()


def test_the_right_password_creates_topics_and_emits_over_sasl_ssl(broker: SaslBroker, tmp_path: Path) -> None:
    env = _env(broker, tmp_path)
    events = tmp_path / "events.jsonl"
    events.write_bytes(b"".join(orjson.dumps(event) + b"\n" for event in build_sample()[:5]))

    topics = _lifecycle(env, "topics")
    emitted = _lifecycle(env, "emit", str(events))
    checked = _lifecycle(env, "topics", "--check")

    assert topics.returncode == 0, topics.stderr
    assert "all 13 topics match the definition on 127.0.0.1:29292" in topics.stdout
    assert emitted.returncode == 0, emitted.stderr
    assert "sent 5 events" in emitted.stdout + emitted.stderr
    assert checked.returncode == 0, checked.stderr
    assert PASSWORD not in topics.stdout + topics.stderr + emitted.stdout + emitted.stderr


@pytest.mark.parametrize("command", [("topics", "--check"), ("store",)])
def test_a_wrong_password_is_one_line_naming_the_sasl_settings(
    broker: SaslBroker, tmp_path: Path, command: tuple[str, ...]
) -> None:
    done = _lifecycle(_env(broker, tmp_path, LIFECYCLE_KAFKA_SASL_PASSWORD=WRONG_PASSWORD), *command)

    line = _refused_in_one_line(done, command[0], "LIFECYCLE_KAFKA_SASL_PASSWORD")
    assert f"refused the SASL login of '{USER}' (SCRAM-SHA-512)" in line
    assert "LIFECYCLE_KAFKA_SASL_USERNAME" in line
    assert broker.log_tail().count("Failed authentication") >= 1  # the broker saw and refused the login


def test_a_ca_that_did_not_sign_the_broker_is_refused(broker: SaslBroker, tmp_path: Path) -> None:
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))

    done = _lifecycle(_env(broker, tmp_path, LIFECYCLE_KAFKA_SSL_CAFILE=str(other)), "topics", "--check")

    line = _refused_in_one_line(done, "topics", "LIFECYCLE_KAFKA_SSL_CAFILE")
    assert "presents a certificate that is not trusted" in line


def test_a_host_name_the_certificate_does_not_carry_is_refused(broker: SaslBroker, tmp_path: Path) -> None:
    done = _lifecycle(_env(broker, tmp_path, LIFECYCLE_KAFKA_BOOTSTRAP=f"localhost:{PORT}"), "topics", "--check")

    line = _refused_in_one_line(done, "topics", "LIFECYCLE_KAFKA_BOOTSTRAP")
    assert "is not valid for the host name 'localhost'" in line


def test_the_worker_and_the_store_run_over_sasl_ssl(broker: SaslBroker, tmp_path: Path, pg_dsn: str) -> None:
    """Purchases emitted over SASL_SSL become entitlements: the worker reads and writes there, the store reads."""
    env = _env(broker, tmp_path, LIFECYCLE_DATABASE_URL=pg_dsn, LIFECYCLE_WORKER_STORE="memory://")
    events = tmp_path / "events.jsonl"
    sample = build_sample()[:12]  # the releases, then purchases
    events.write_bytes(b"".join(orjson.dumps(event) + b"\n" for event in sample))
    purchased = {event["serial"] for event in sample if event["type"] == "purchase"}
    for command in (("topics",), ("db", "migrate"), ("emit", str(events))):
        done = _lifecycle(env, *command)
        assert done.returncode == 0, done.stderr
    worker = WorkerProcess(env, tmp_path / "worker", free_port(), tmp_path / "worker.log").start()
    store_log = (tmp_path / "store.log").open("wb")
    store = subprocess.Popen(
        [sys.executable, "-m", "lifecycle.cli", "store"], env=env, stdout=store_log, stderr=subprocess.STDOUT
    )
    try:
        stored: set[str] = set()
        deadline = time.monotonic() + 120
        while stored != purchased:
            assert worker.alive, (tmp_path / "worker.log").read_text()[-3000:]
            assert store.poll() is None, (tmp_path / "store.log").read_text()[-3000:]
            assert time.monotonic() < deadline, f"stored {sorted(stored)} of {sorted(purchased)}"
            time.sleep(1)
            with psycopg2.connect(pg_dsn) as connection, connection.cursor() as cursor:
                cursor.execute("SELECT serial FROM entitlements")
                stored = {serial for (serial,) in cursor.fetchall()}
    finally:
        store.terminate()
        store.wait(timeout=30)
        store_log.close()
        worker.stop()
    logs = (tmp_path / "worker.log").read_text() + (tmp_path / "store.log").read_text()
    assert PASSWORD not in logs
