"""A second, throwaway Kafka broker with a SASL_SSL listener and SCRAM-SHA-512 users, for the transport tests.

It runs from the local stack's jars (lifecycle/stack/jars.py) in KRaft mode, as the stack's broker does, with a
certificate made by the test's CA (trustme); its SCRAM users are created when the storage is formatted.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import trustme
from cryptography.hazmat.primitives import serialization

from lifecycle.settings import Settings
from lifecycle.stack.kafka_files import SINGLE_NODE_PROPERTIES, kafka_paths
from lifecycle.stack.processes import port_open, terminate

BROKER_USER = ("broker", "broker-secret-5b1e")  # the broker's own login on its SASL_SSL listener
READY_TIMEOUT_S = 120.0
LOG4J = """<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="warn">
  <Appenders><Console name="out" target="SYSTEM_OUT"><PatternLayout pattern="[%d] %p %m (%c)%n"/></Console></Appenders>
  <Loggers><Root level="INFO"><AppenderRef ref="out"/></Root></Loggers>
</Configuration>
"""


@dataclass
class SaslBroker:
    """Where the broker listens and who may log in; `start` formats and runs it, `stop` ends it by its PID."""

    folder: Path
    port: int
    controller_port: int
    users: dict[str, str]
    ca: trustme.CA
    process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def ca_file(self) -> str:
        path = self.folder / "ca.pem"
        if not path.exists():
            self.ca.cert_pem.write_to_path(str(path))
        return str(path)

    def _keystore(self) -> Path:
        """The broker's key (PKCS#8, as Kafka's PEM key store reads it) and certificate chain in one file."""
        issued = self.ca.issue_cert("127.0.0.1")  # not localhost: a client that dials that name must be refused
        key = serialization.load_pem_private_key(issued.private_key_pem.bytes(), password=None)
        pkcs8 = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path = self.folder / "broker.pem"
        path.write_bytes(pkcs8 + b"".join(blob.bytes() for blob in issued.cert_chain_pems))
        return path

    def _properties(self) -> Path:
        user, password = BROKER_USER
        jaas = (
            f'org.apache.kafka.common.security.scram.ScramLoginModule required username="{user}" password="{password}";'
        )
        text = f"""process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:{self.controller_port}
listeners=SASL_SSL://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}
advertised.listeners=SASL_SSL://127.0.0.1:{self.port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=SASL_SSL
listener.security.protocol.map=CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config={jaas}
ssl.keystore.type=PEM
ssl.keystore.location={self._keystore()}
ssl.truststore.type=PEM
ssl.truststore.location={self.ca_file}
log.dirs={self.folder / "data"}
{SINGLE_NODE_PROPERTIES}"""
        path = self.folder / "server.properties"
        path.write_text(text)
        return path

    def _java(self, main_class: str, jars: Path) -> list[str]:
        log4j = self.folder / "log4j2.xml"
        log4j.write_text(LOG4J)
        return ["java", "-Xms128m", "-Xmx512m", "-cp", f"{jars}/*", f"-Dlog4j2.configurationFile={log4j}", main_class]

    def start(self) -> None:
        """Format the storage with the SCRAM users, start the broker and wait until its TLS port accepts."""
        jars = kafka_paths(Settings.from_env()).jars
        assert any(jars.glob("kafka_*.jar")), f"no broker jars in {jars}: run `lifecycle stack up` once"
        properties = self._properties()
        scram = [
            arg
            for name, password in {BROKER_USER[0]: BROKER_USER[1], **self.users}.items()
            for arg in ("--add-scram", f"SCRAM-SHA-512=[name={name},password={password}]")
        ]
        cluster = uuid.uuid4().hex[:22]
        format_command = [
            *self._java("kafka.tools.StorageTool", jars),
            *("format", "--standalone", "-t", cluster, "-c", str(properties), *scram),
        ]
        formatted = subprocess.run(format_command, capture_output=True, text=True, check=False, timeout=120)
        assert formatted.returncode == 0, formatted.stdout + formatted.stderr
        log = (self.folder / "broker.log").open("wb")
        self.process = subprocess.Popen(
            [*self._java("kafka.Kafka", jars), str(properties)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        started = time.monotonic()
        while not port_open("127.0.0.1", self.port):
            assert self.process.poll() is None, self.log_tail()
            assert time.monotonic() - started < READY_TIMEOUT_S, self.log_tail()
            time.sleep(0.5)

    def log_tail(self) -> str:
        return (self.folder / "broker.log").read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        """Stop the broker by its PID."""
        if self.process is not None and self.process.poll() is None:
            terminate(self.process.pid, str(self.folder / "server.properties"), timeout=60.0)
            self.process.wait(timeout=10)
