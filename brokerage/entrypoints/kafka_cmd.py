"""`brokerage kafka start|stop|status`."""

from __future__ import annotations

import argparse
from pathlib import Path

from brokerage.adapters.kafka import admin_client
from brokerage.config import Settings
from brokerage.localkafka import broker, fetch
from brokerage.security import acls, brokerconf


def start(s: Settings, port: int | None = None, data_dir: Path | None = None,
          secure: bool = False) -> broker.BrokerInfo:
    info = broker.start(
        port or s.kafka_port, data_dir or s.kafka_data_dir, version=s.kafka_version,
        cache_dir=s.kafka_cache_dir, heap=s.kafka_heap, partitions=s.partitions, secure=secure,
    )
    if secure:  # least privilege per service, for the topics these settings name
        acls.apply(admin_client(info.bootstrap), s)
    return info


def run(args: argparse.Namespace, s: Settings) -> int:
    data_dir: Path = args.data_dir or s.kafka_data_dir
    if args.action == "start":
        if s.kafka_bootstrap_servers:
            print(f"KAFKA_BOOTSTRAP_SERVERS={s.kafka_bootstrap_servers} is set; "
                  "not starting a local broker")
            return 0
        try:
            info = start(s, args.port, data_dir, secure=getattr(args, "secure", False))
        except (broker.BrokerError, fetch.MissingToolError, fetch.FetchError) as exc:
            raise RuntimeError(str(exc)) from exc
        print(f"Kafka {s.kafka_version} running: pid {info.pid}, bootstrap {info.bootstrap}, "
              f"data {info.data_dir}")
        if info.secure:
            env = brokerconf.security_dir(info.data_dir) / "client.env"
            print(f"secure (SASL_SSL, SCRAM-SHA-512, ACLs); as admin: set -a; . {env}; set +a")
        return 0
    if args.action == "acls":  # after changing topic names or the app id
        running = broker.status(data_dir.resolve())
        target = s.kafka_bootstrap_servers or (running.bootstrap if running else "")
        if not target:
            raise RuntimeError("no broker: start one or set KAFKA_BOOTSTRAP_SERVERS")
        print(f"{acls.apply(admin_client(target), s)} ACLs in place")
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
