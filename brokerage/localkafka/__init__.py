"""Embedded local Apache Kafka (KRaft, single node) fetched from Maven Central and run with Java."""

from brokerage.localkafka.broker import (
    AlreadyRunningError,
    BrokerError,
    BrokerInfo,
    PortInUseError,
    start,
    status,
    stop,
)
from brokerage.localkafka.fetch import FetchError, MissingToolError, ensure_kafka_jars
from brokerage.localkafka.procs import free_port

__all__ = [
    "AlreadyRunningError",
    "BrokerError",
    "BrokerInfo",
    "FetchError",
    "MissingToolError",
    "PortInUseError",
    "ensure_kafka_jars",
    "free_port",
    "start",
    "status",
    "stop",
]
