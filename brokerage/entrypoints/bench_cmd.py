"""`brokerage bench`: our stack under load beside the raw Kafka ceiling and a PostgreSQL
baseline, on this machine, in one command. Writes JSON, Markdown and a PNG (see README)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markdown import Markdown
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from brokerage.bench.config import BenchConfig
from brokerage.bench.output import write
from brokerage.bench.report import hops_md, table
from brokerage.bench.run import bench
from brokerage.config import Settings


def main(args: argparse.Namespace, s: Settings) -> int:
    if args.bootstrap:
        s = s.model_copy(update={"kafka_bootstrap_servers": args.bootstrap})
    if args.secure and s.kafka_bootstrap_servers:
        raise SystemExit("brokerage bench: --secure starts a secure broker of its own; for "
                         "a configured secure broker, give its BROKERAGE_KAFKA_* settings")
    cfg = BenchConfig.smoke_run(args.out) if args.smoke else BenchConfig(
        requests=args.requests, rates=args.rates, seconds=args.seconds, closed=not args.no_closed,
        window=args.window, warmup_seconds=args.warmup, warmup_rate=args.warmup_rate,
        traders=args.traders, workers=args.workers,
        partitions=args.partitions, seed=args.seed, exchange_fsync=args.exchange_fsync,
        skip_ceiling=args.skip_ceiling, skip_floor=args.skip_floor,
        reference_requests=args.reference_requests,
        skip_postgres=args.skip_postgres,
        pg_connections=args.pg_connections, pg_batch=args.pg_batch,
        pg_sync_commit=args.pg_sync_commit, scaling=args.scaling,
        drain_timeout=args.drain_timeout, out=args.out)
    if args.smoke:
        cfg.skip_postgres, cfg.skip_floor = args.skip_postgres, args.skip_floor
    cfg.secure, cfg.profile = args.secure, args.profile
    console = Console(width=160)
    with Progress(TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        tasks: dict[str, Any] = {}

        def progress(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(name, total=total)
            bar.update(tasks[name], completed=done, total=max(total, done))

        doc = bench(s, cfg, progress, args.state_traders)
    paths = write(doc, cfg.out)
    console.print(Markdown(table(doc)))
    by_hop = hops_md(doc["ours"].get("phases", []))
    if by_hop:  # where the latency goes
        console.print(Markdown(by_hop))
    sm = doc["summary"]
    console.print(f"ours / raw ceiling = {_f(sm['ratio_vs_ceiling'])}, "
                  f"ours / PostgreSQL = {_f(sm['ratio_vs_postgres'])}")
    for t in doc["targets"]:
        met = {True: "[green]met[/green]", False: "[red]not met[/red]",
               None: "not measured"}[t["met"]]
        console.print(f"  {t['target']}: {_f(t['measured'])} {t['unit']} {met}")
    console.print("results: " + ", ".join(str(p) for p in paths.values()))
    return 0


def _f(x: float | None) -> str:
    return "-" if x is None else f"{x:,.2f}"


def _numbers(kind: type) -> Any:
    return lambda text: [kind(x) for x in text.split(",") if x.strip()]


def add_parser(sub: Any) -> None:
    b = sub.add_parser("bench", help="load our stack beside the raw Kafka ceiling and a "
                                     "PostgreSQL baseline; write JSON, Markdown and a PNG")
    b.add_argument("--requests", type=int, default=20_000, help="closed-loop phase requests")
    b.add_argument("--rates", type=_numbers(float), default=[1_000.0, 2_000.0, 5_000.0],
                   help="open-loop rates, requests/s (comma-separated)")
    b.add_argument("--seconds", type=float, default=5.0, help="length of each open-loop phase")
    b.add_argument("--no-closed", action="store_true", help="skip the closed-loop phase")
    b.add_argument("--window", type=int, default=8_000, help="closed loop: requests in flight")
    b.add_argument("--warmup", type=float, default=15.0,
                   help="seconds of the mix before the measured phases, unmeasured (0: none)")
    b.add_argument("--warmup-rate", type=float, default=300.0, help="its rate, requests/s")
    b.add_argument("--traders", type=int, default=1_000)
    b.add_argument("--workers", type=int, default=1)
    b.add_argument("--partitions", type=int, default=8)
    b.add_argument("--seed", type=int, default=1)
    b.add_argument("--drain-timeout", type=float, default=120.0,
                   help="seconds to wait for a phase's last answers before the next phase")
    b.add_argument("--exchange-fsync", action="store_true",
                   help="let the exchange simulator fsync its journal (off: it stands in for "
                        "a remote venue)")
    b.add_argument("--skip-ceiling", action="store_true")
    b.add_argument("--skip-floor", action="store_true",
                   help="skip the topology floor: our messages with no logic (README)")
    b.add_argument("--reference-requests", type=int, default=150_000,
                   help="the ceiling's and the floor's closed loop: our closed loop's "
                        "requests repeated to at least this many")
    b.add_argument("--skip-postgres", action="store_true")
    b.add_argument("--pg-connections", type=_numbers(int), default=[2, 4, 8])
    b.add_argument("--pg-batch", type=int, default=20,
                   help="requests per transaction in the batched PostgreSQL variant")
    b.add_argument("--pg-sync-commit", action="store_true",
                   help="synchronous_commit=on (off by default: Kafka does not fsync either)")
    b.add_argument("--scaling", action="store_true",
                   help="also 1 vs 2 workers, 8 vs 32 partitions, state bytes per trader")
    b.add_argument("--state-traders", type=_numbers(int), default=[10_000, 100_000])
    b.add_argument("--smoke", action="store_true", help="a few seconds of everything (CI)")
    b.add_argument("--bootstrap", default="", help="use this broker instead of our own "
                   "(secure when BROKERAGE_KAFKA_* settings say so: see README, Security)")
    b.add_argument("--secure", action="store_true",
                   help="our own broker with SASL_SSL, a user per service and ACLs")
    b.add_argument("--profile", action="store_true",
                   help="py-spy on the stack's processes through each measured phase: the "
                        "top functions in result.md, the raw stacks in profiles/")
    b.add_argument("--out", type=Path, default=Path("bench-results"))
    b.set_defaults(fn=main)
