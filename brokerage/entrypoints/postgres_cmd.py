"""`brokerage postgres start|stop|status|dsn`: the local PostgreSQL of the reporting store."""

from __future__ import annotations

import argparse
from pathlib import Path

from brokerage import localpg
from brokerage.config import Settings


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("postgres", help="the local PostgreSQL of the reporting store")
    p.add_argument("action", choices=["start", "stop", "status", "dsn"])
    p.add_argument("--port", type=int, default=None)
    p.add_argument("--data-dir", type=Path, default=None)
    p.set_defaults(fn=run)


def start(s: Settings, port: int | None = None, data_dir: Path | None = None) -> str:
    try:
        return localpg.start(data_dir or s.postgres_data_dir, port or s.postgres_port)
    except (localpg.PgError, localpg.MissingPostgresError) as exc:
        raise RuntimeError(str(exc)) from exc


def run(args: argparse.Namespace, s: Settings) -> int:
    data_dir: Path = (args.data_dir or s.postgres_data_dir).resolve()
    if args.action == "start":
        if s.postgres_dsn is not None:
            print("BROKERAGE_POSTGRES_DSN is set; not starting a local PostgreSQL")
            return 0
        start(s, args.port, data_dir)
        info = localpg.status(data_dir)
        assert info is not None
        print(f"PostgreSQL running: pid {info.pid}, 127.0.0.1:{info.port}, data {data_dir} "
              "(`brokerage postgres dsn` prints the DSN)")
        return 0
    if args.action == "stop":
        print("stopped" if localpg.stop(data_dir) else "not running")
        return 0
    info = localpg.status(data_dir)
    if info is None:
        print("not running")
        return 3
    print(info.dsn if args.action == "dsn" else
          f"running: pid {info.pid}, 127.0.0.1:{info.port}, data {data_dir}")
    return 0
