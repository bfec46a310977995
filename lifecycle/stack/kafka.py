"""The local Kafka broker: jars fetched by Maven, KRaft storage formatted once, `java` started and checked."""

from __future__ import annotations

import base64
import shutil
import subprocess
import time
import uuid

from kafka import KafkaAdminClient
from kafka.errors import KafkaError

from lifecycle.errors import UserError
from lifecycle.kafka_config import quiet_kafka
from lifecycle.settings import Settings
from lifecycle.stack.jars import Say, fetch_jars
from lifecycle.stack.kafka_files import KafkaPaths, kafka_paths, log4j_config, server_properties
from lifecycle.stack.processes import port_open, running_pid, tail, terminate

MAIN_CLASS = "kafka.Kafka"
HEAP = ("-Xms256m", "-Xmx768m")
READY_TIMEOUT_S = 120.0


def _java() -> str:
    java = shutil.which("java")
    if java is None:
        raise UserError("java not found: install a Java 17+ runtime (apt-get install -y default-jre-headless)")
    return java


def _java_command(paths: KafkaPaths, main_class: str) -> list[str]:
    return [_java(), *HEAP, "-cp", f"{paths.jars}/*", f"-Dlog4j2.configurationFile={paths.log4j}", main_class]


def _cluster_id() -> str:
    while True:
        candidate = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not candidate.startswith("-"):
            return candidate


def format_storage(paths: KafkaPaths, say: Say) -> None:
    """Format the KRaft storage (combined broker and controller, node 1) unless it was formatted before."""
    if (paths.data / "meta.properties").is_file():
        return
    say(f"kafka: formatting KRaft storage in {paths.data}")
    command = [
        *_java_command(paths, "kafka.tools.StorageTool"),
        *("format", "--standalone", "-t", _cluster_id(), "-c", str(paths.properties)),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False, umask=0o077)
    if result.returncode != 0:
        raise UserError(f"formatting Kafka storage failed:\n{result.stdout}{result.stderr}")


def answers_metadata(port: int) -> bool:
    """True when the broker on 127.0.0.1:port answers a metadata request."""
    try:
        with quiet_kafka():
            client = KafkaAdminClient(bootstrap_servers=f"127.0.0.1:{port}", bootstrap_timeout_ms=2000)
            try:
                client.list_topics()
            finally:
                client.close()
    except KafkaError:
        return False
    return True


def start_kafka(settings: Settings, say: Say) -> None:
    """Start the local broker (fetching and formatting first when needed) and wait until it answers."""
    paths = kafka_paths(settings)
    port = settings.kafka_port
    pid = running_pid(paths.pid_file, str(paths.properties))
    if pid is not None:
        say(f"kafka: already running (pid {pid}) at 127.0.0.1:{port}")
        return
    for busy in (port, port + 1):
        if port_open("127.0.0.1", busy):
            raise UserError(f"port {busy} is in use by another process; set LIFECYCLE_KAFKA_PORT to a free port")
    _java()
    for folder in (paths.root, paths.data, paths.logs):
        folder.mkdir(parents=True, exist_ok=True)
    # The broker's records hold personal data and it runs as whoever started the stack: no one else reads them.
    paths.root.chmod(0o700)
    fetch_jars(paths.jars, say)
    paths.properties.write_text(server_properties(paths, port))
    paths.log4j.write_text(log4j_config(paths))
    format_storage(paths, say)
    started = time.monotonic()
    with (paths.logs / "stdout.log").open("ab") as stdout:
        process = subprocess.Popen(
            [*_java_command(paths, MAIN_CLASS), str(paths.properties)],
            stdout=stdout,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            umask=0o077,  # its segments, indexes and logs: owner only
        )
    paths.pid_file.write_text(f"{process.pid}\n")
    while not (port_open("127.0.0.1", port) and answers_metadata(port)):
        if process.poll() is not None:
            raise UserError(f"the Kafka broker exited with {process.returncode}:\n{tail(paths.logs / 'server.log')}")
        if time.monotonic() - started > READY_TIMEOUT_S:
            raise UserError(f"the Kafka broker did not answer within {READY_TIMEOUT_S:.0f}s; see {paths.logs}")
        time.sleep(0.5)
    say(f"kafka: ready at 127.0.0.1:{port} (pid {process.pid}) after {time.monotonic() - started:.1f}s")


def kafka_status(settings: Settings) -> tuple[bool, str]:
    """Whether the local broker runs, and a line saying so."""
    paths = kafka_paths(settings)
    pid = running_pid(paths.pid_file, str(paths.properties))
    if pid is None:
        return False, "kafka: not running (started by this stack)"
    answers = "answers metadata requests" if answers_metadata(settings.kafka_port) else "does NOT answer yet"
    return True, f"kafka: running (pid {pid}) at 127.0.0.1:{settings.kafka_port}, {answers}; logs {paths.logs}"


def stop_kafka(settings: Settings, say: Say) -> None:
    """Stop the broker this stack started, if it runs."""
    paths = kafka_paths(settings)
    pid = running_pid(paths.pid_file, str(paths.properties))
    if pid is None:
        say("kafka: not running")
    else:
        killed = terminate(pid, str(paths.properties), timeout=60.0)
        say(f"kafka: stopped (pid {pid}{', killed after 60s' if killed else ''})")
    paths.pid_file.unlink(missing_ok=True)
