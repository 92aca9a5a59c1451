"""`brokerage kafka start|stop|status`."""

from __future__ import annotations

import argparse
from pathlib import Path

from brokerage.config import Settings
from brokerage.localkafka import broker, fetch


def start(s: Settings, port: int | None = None, data_dir: Path | None = None) -> broker.BrokerInfo:
    return broker.start(
        port or s.kafka_port, data_dir or s.kafka_data_dir, version=s.kafka_version,
        cache_dir=s.kafka_cache_dir, heap=s.kafka_heap, partitions=s.partitions,
    )


def run(args: argparse.Namespace, s: Settings) -> int:
    data_dir: Path = args.data_dir or s.kafka_data_dir
    if args.action == "start":
        if s.kafka_bootstrap_servers:
            print(f"KAFKA_BOOTSTRAP_SERVERS={s.kafka_bootstrap_servers} is set; "
                  "not starting a local broker")
            return 0
        try:
            info = start(s, args.port, data_dir)
        except (broker.BrokerError, fetch.MissingToolError, fetch.FetchError) as exc:
            raise RuntimeError(str(exc)) from exc
        print(f"Kafka {s.kafka_version} running: pid {info.pid}, bootstrap {info.bootstrap}, "
              f"data {info.data_dir}")
        return 0
    if args.action == "stop":
        print("stopped" if broker.stop(data_dir) else "not running")
        return 0
    running = broker.status(data_dir.resolve())
    if running is None:
        print("not running")
        return 3
    print(f"running: pid {running.pid}, bootstrap {running.bootstrap}, data {running.data_dir}")
    return 0
