"""`brokerage chaos`: a fresh broker, 3 workers, the exchange and connector, a load, faults,
then the verifier. Everything runs in a temporary directory and is stopped at the end."""

from __future__ import annotations

import argparse
import shutil
import signal
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from brokerage.config import Settings
from brokerage.localkafka import broker, free_port

from . import kafka_cmd

if TYPE_CHECKING:  # imported where used: it loads faust, ~0.3 s of every process's start
    from brokerage.chaos.run import ChaosConfig, ChaosResult


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt  # unwinds through the finally blocks that stop every child


def main(args: argparse.Namespace, s: Settings) -> int:
    signal.signal(signal.SIGTERM, _interrupt)
    from brokerage.chaos.run import ChaosConfig

    cfg = ChaosConfig(args.requests, args.traders, args.workers, args.rate, args.kill_every,
                      args.kills, args.outage, args.seed)
    with Progress(transient=True) as bar:
        task = bar.add_task("requests", total=cfg.requests)
        result = own_broker_run(s, cfg, lambda done, total: bar.update(
            task, completed=done, total=total), keep=args.keep)
    report(result, Console(width=140))
    return 1 if result.violations else 0


def own_broker_run(s: Settings, cfg: ChaosConfig,
                   progress: Callable[[int, int], None] = lambda d, t: None,
                   log_dir: str | None = None, keep: bool = False) -> ChaosResult:
    """The whole run on a broker of its own, in a temporary directory removed afterwards
    (unless `keep`: then the broker's data, state and logs stay for a post-mortem)."""
    tmp = tempfile.mkdtemp(prefix="brokerage-chaos-")
    if keep:
        print(f"keeping {tmp}", flush=True)
    try:
        data, port = Path(tmp) / "kafka", free_port()
        info = kafka_cmd.start(s, port, data)
        settings = s.model_copy(update={
            "kafka_bootstrap_servers": info.bootstrap, "state_dir": Path(tmp) / "state",
            "exchange_port": (ex := free_port()), "exchange_url": f"http://127.0.0.1:{ex}",
            "connector_metrics_port": free_port(), "sequencer_metrics_port": free_port()})

        def restart_broker() -> None:
            broker.stop(data)
            kafka_cmd.start(s, port, data)

        try:
            from brokerage.chaos.run import run

            return run(settings, cfg, log_dir or tmp, restart_broker, progress)
        finally:
            broker.stop(data)
    finally:
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)


def report(r: ChaosResult, console: Console) -> None:
    table = Table(title="brokerage chaos")
    table.add_column("figure")
    table.add_column("value", justify="right")
    rec = sorted(r.faults.recovery_seconds)
    rows: list[tuple[str, Any]] = [
        ("requests produced", r.requests),
        ("load seconds", f"{r.load_seconds:.1f}"),
        ("settle seconds", f"{r.settle_seconds:.1f}"),
        ("faults injected", len(r.faults.events)),
        ("recovery p50 / max s", f"{rec[len(rec) // 2]:.1f} / {rec[-1]:.1f}" if rec else "-"),
        *((k, v) for k, v in r.counts.items()),
        ("violations", len(r.violations)),
    ]
    for k, v in rows:
        table.add_row(k, str(v))
    console.print(table)
    console.print("faults: " + ", ".join(r.faults.events))
    kinds: dict[str, int] = {}
    for v in r.violations:
        kind = v.split(": ", 1)[-1].split(" ")[0] if ": " in v else v[:30]
        kinds[kind] = kinds.get(kind, 0) + 1
    if kinds:
        console.print("violations by kind: " + ", ".join(f"{k} {n}" for k, n in kinds.items()))
    for v in r.violations[:20]:
        console.print(f"[red]violation[/red] {v}")


def add_parser(sub: Any) -> None:
    c = sub.add_parser("chaos", help="load + faults (kill -9 workers, broker restart, "
                                     "exchange outage) + verifier")
    c.add_argument("--requests", type=int, default=20_000)
    c.add_argument("--traders", type=int, default=1_000)
    c.add_argument("--workers", type=int, default=3)
    c.add_argument("--rate", type=float, default=1_000.0, help="requests/s offered")
    c.add_argument("--kill-every", type=float, default=5.0, help="seconds between faults")
    c.add_argument("--kills", type=int, default=4, help="worker kills at least")
    c.add_argument("--outage", type=float, default=4.0, help="exchange outage seconds")
    c.add_argument("--seed", type=int, default=1)
    c.add_argument("--keep", action="store_true", help="keep data and logs for a post-mortem")
    c.set_defaults(fn=main)
