"""`brokerage exchange`: the exchange simulator and its connector together, in the foreground.

The two stay separate processes (a venue is a remote service; the connector talks to it over
HTTP): this only starts both, restarts neither, and stops both on Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import signal
import time

from brokerage.config import Settings


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub.add_parser("exchange", help="exchange-sim and connector together, in the foreground"
                   ).set_defaults(fn=_run)


def _run(args: argparse.Namespace, s: Settings) -> int:
    from .bootstrap import resolve
    from .processes import Processes

    procs = Processes(s.model_copy(update={"kafka_bootstrap_servers": resolve(s)}))
    stop = False

    def _stop(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, _stop)
    try:
        procs.start("exchange-sim")
        procs.start("connector")
        print(f"exchange at {s.exchange_url} with its connector (Ctrl-C to stop)", flush=True)
        while not stop:
            time.sleep(0.5)
            procs.check()
    except KeyboardInterrupt:
        pass
    finally:
        procs.stop_all()
    return 0
