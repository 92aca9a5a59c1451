"""`brokerage verify` and `brokerage replay`: audit a quiescent system; rebuild its tables."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from brokerage.adapters.topic_reader import read_all
from brokerage.config import Settings
from brokerage.domain import refdata as refdata_mod
from brokerage.service.repair import publish, sweep
from brokerage.service.replay import diff, latest, rebuild
from brokerage.service.verify import changelog_topic, verify

from .bootstrap import resolve


def run_verify(args: argparse.Namespace, s: Settings) -> int:
    report = verify(resolve(s), s, refdata_mod.load(s.refdata_path))
    table = Table(title="brokerage verify")
    table.add_column("what")
    table.add_column("count", justify="right")
    for name, count in report.counts.items():
        table.add_row(name, str(count))
    table.add_row("violations", str(len(report.violations)))
    console = Console(width=140)
    console.print(table)
    for violation in report.violations[: args.limit]:
        console.print(f"[red]violation[/red] {violation}")
    if args.sweep_orphans and report.counts["orphan snapshots"]:
        if report.violations:  # a damaged table is left as it is for a post-mortem
            console.print("orphan snapshots not swept: the table has violations")
        else:
            sweep(resolve(s), changelog_topic(s), report.orphans)
            left = report.counts["orphan snapshots"] - len(report.orphans)
            console.print(f"swept {len(report.orphans)} orphan snapshot(s)" + (
                f"; {left} of traders with no head yet, swept once they have one"
                if left else ""))
    return 1 if report.violations else 0


def run_replay(args: argparse.Namespace, s: Settings) -> int:
    bootstrap = resolve(s)
    rebuilt = rebuild(read_all(bootstrap, s.topic_inputs), refdata_mod.load(s.refdata_path),
                      s.topic_executions)
    print(f"replayed {rebuilt.events} inputs into {len(rebuilt.states)} traders")
    if args.out:
        from rocksdict import Rdict

        db = Rdict(str(args.out))
        for k, v in rebuilt.states.items():
            db[k] = v
        db.close()
        print(f"rebuilt tables written to {args.out}")
    if args.write_changelog:  # recovery: the rebuilt values become the tables' latest
        publish(bootstrap, changelog_topic(s), rebuilt)
        print(f"wrote {len(rebuilt.states)} states to {changelog_topic(s)}")
        return 0
    if args.snapshot:
        from rocksdict import Rdict

        db = Rdict(str(args.snapshot))
        other = {k: v for k, v in db.items() if isinstance(k, bytes) and isinstance(v, bytes)}
        db.close()
    else:
        other = latest(read_all(bootstrap, changelog_topic(s)))
    differences = diff(rebuilt.states, other)
    for d in differences[: args.limit]:
        print("diff:", d)
    print("replay equals live" if not differences else f"{len(differences)} difference(s)")
    return 1 if differences else 0


def add_parsers(sub: Any) -> None:
    v = sub.add_parser("verify", help="check a quiescent system's ledger and topics")
    v.add_argument("--limit", type=int, default=50, help="violations to print")
    v.add_argument("--sweep-orphans", action="store_true",
                   help="delete snapshots no head names (only if there are no violations)")
    v.set_defaults(fn=run_verify)
    r = sub.add_parser("replay", help="rebuild every table from the input log and compare")
    r.add_argument("--snapshot", type=Path, help="compare with this rebuilt snapshot dir")
    r.add_argument("--out", type=Path, help="write the rebuilt tables to a fresh RocksDB dir")
    r.add_argument("--write-changelog", action="store_true",
                   help="recovery: publish the rebuilt states as the tables' latest values")
    r.add_argument("--limit", type=int, default=50)
    r.set_defaults(fn=run_replay)
