"""`brokerage sink postgres [--until-caught-up]`: the reporting store's writer."""

from __future__ import annotations

import argparse
import signal
import threading

from brokerage.config import Settings


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("sink", help="write trades, fills and the ledger into PostgreSQL")
    p.add_argument("target", choices=["postgres"])
    p.add_argument("--until-caught-up", action="store_true",
                   help="stop once every input so far is stored, and print the rate")
    p.set_defaults(fn=run)


def run(args: argparse.Namespace, s: Settings) -> int:
    from brokerage.entrypoints.bootstrap import resolve
    from brokerage.reporting.dsn import resolve_dsn
    from connectors.sink.runner import Sink

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stats = Sink(s, resolve(s), resolve_dsn(s)).run(stop, until_caught_up=args.until_caught_up)
    print(f"sink: {stats.line()}", flush=True)
    return 0
