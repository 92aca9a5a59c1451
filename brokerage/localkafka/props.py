"""Config files for the local single-node KRaft broker, rendered from strings (no package data)."""

from __future__ import annotations

import os
import re
import uuid
from base64 import urlsafe_b64encode
from pathlib import Path

SERVER_PROPERTIES = """\
# Written by brokerage.localkafka; rewritten on every start.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:{controller_port}
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}
advertised.listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs={log_dirs}
num.partitions={partitions}
auto.create.topics.enable=false
group.initial.rebalance.delay.ms=0
# One broker: every internal topic has a single replica.
offsets.topic.replication.factor=1
offsets.topic.num.partitions={partitions}
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Request threads sized to the machine (Kafka's defaults, 3 / 8 / 10, from 8 cores up).
num.network.threads={network_threads}
num.io.threads={io_threads}
background.threads={background_threads}
"""

# Broker logs go to a size-capped file, not stdout, so a long-lived dev broker can't fill the disk.
LOG4J2_PROPERTIES = """\
status = warn
name = brokerage-local-kafka
appender.file.type = RollingFile
appender.file.name = file
appender.file.fileName = {log_file}
appender.file.filePattern = {log_file}.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 10MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
logger.state.name = state.change.logger
logger.state.level = WARN
# Every config object dumps all its values at INFO: hundreds of lines per start.
logger.config.name = org.apache.kafka.common.config.AbstractConfig
logger.config.level = WARN
"""

_CONTROLLER_RE = re.compile(r"^controller\.quorum\.bootstrap\.servers=127\.0\.0\.1:(\d+)$", re.M)


def render_server(port: int, controller_port: int, log_dirs: Path, partitions: int,
                  cpus: int | None = None) -> str:
    return SERVER_PROPERTIES.format(
        port=port, controller_port=controller_port, log_dirs=log_dirs, partitions=partitions,
        **threads(cpus or os.cpu_count() or 1))


def threads(cpus: int) -> dict[str, int]:
    """On 2 cores Kafka's defaults (3 network, 8 I/O, 10 background threads) cost the broker
    ~10 % more CPU per request than 1 / 2 / 2 (README: Performance), with the services
    beside it on the same cores."""
    return {"network_threads": min(3, max(1, cpus // 2)), "io_threads": min(8, max(2, cpus)),
            "background_threads": 10 if cpus >= 8 else max(2, cpus)}


def render_log4j2(log_file: Path) -> str:
    return LOG4J2_PROPERTIES.format(log_file=log_file)


def previous_controller_port(server_properties: Path) -> int | None:
    """The controller port an earlier start used; the formatted quorum records it."""
    try:
        match = _CONTROLLER_RE.search(server_properties.read_text(encoding="utf-8"))
    except OSError:
        return None
    return int(match.group(1)) if match else None


def cluster_id() -> str:
    """Same shape as `kafka-storage random-uuid` (22 chars base64url), without starting a JVM."""
    while True:
        cid = urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cid.startswith("-"):  # Kafka rejects ids that look like CLI flags
            return cid
