"""The local Kafka broker's files: its folder under LIFECYCLE_HOME and the configuration it is started with."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lifecycle.settings import Settings


@dataclass(frozen=True)
class KafkaPaths:
    """Where the local broker keeps its jars, data, logs and pid file."""

    root: Path

    @property
    def jars(self) -> Path:
        return self.root / "jars"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def pid_file(self) -> Path:
        return self.root / "kafka.pid"

    @property
    def properties(self) -> Path:
        return self.root / "server.properties"

    @property
    def log4j(self) -> Path:
        return self.root / "log4j2.xml"


def kafka_paths(settings: Settings) -> KafkaPaths:
    """The local broker's folder under LIFECYCLE_HOME."""
    return KafkaPaths(settings.home / "kafka")


# What a one-node local broker needs whatever its listeners: one replica of everything, no topic made implicitly.
SINGLE_NODE_PROPERTIES = """num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
# topics come from `lifecycle topics` only: a client with a mistyped prefix must not create any
auto.create.topics.enable=false
"""


def server_properties(paths: KafkaPaths, port: int) -> str:
    """server.properties of a combined broker and controller (node 1) on 127.0.0.1:port, its controller on port+1."""
    controller = port + 1
    return f"""process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:{controller}
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs={paths.data}
log.segment.bytes=16777216
{SINGLE_NODE_PROPERTIES}"""


def log4j_config(paths: KafkaPaths) -> str:
    """log4j2.xml: the broker logs to logs/server.log, rolled over at 20 MB with three earlier files kept."""
    log = paths.logs / "server.log"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="warn">
  <Appenders>
    <RollingFile name="server" fileName="{log}" filePattern="{log}.%i">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
      <SizeBasedTriggeringPolicy size="20MB"/>
      <DefaultRolloverStrategy max="3"/>
    </RollingFile>
  </Appenders>
  <Loggers>
    <Root level="INFO"><AppenderRef ref="server"/></Root>
  </Loggers>
</Configuration>
"""
