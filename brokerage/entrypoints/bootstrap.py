"""Which Kafka to talk to: KAFKA_BOOTSTRAP_SERVERS if set, else the local broker."""

from __future__ import annotations

from brokerage.config import Settings
from brokerage.localkafka import broker


class NoBrokerError(RuntimeError):
    pass


def resolve(settings: Settings) -> str:
    if settings.kafka_bootstrap_servers:
        return settings.kafka_bootstrap_servers
    info = broker.status(settings.kafka_data_dir.resolve())
    if info is None:
        raise NoBrokerError(
            "no Kafka broker: run `brokerage kafka start` or set KAFKA_BOOTSTRAP_SERVERS"
        )
    return info.bootstrap
