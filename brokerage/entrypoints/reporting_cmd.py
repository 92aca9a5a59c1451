"""`brokerage statement --trader T --date D` and `brokerage reconcile`."""

from __future__ import annotations

import argparse
import json
from datetime import date

from brokerage.config import Settings


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    st = sub.add_parser("statement", help="a trader's daily statement from PostgreSQL")
    st.add_argument("--trader", required=True)
    st.add_argument("--date", required=True, type=date.fromisoformat, help="YYYY-MM-DD (UTC)")
    st.add_argument("--json", action="store_true")
    st.set_defaults(fn=_statement)
    rc = sub.add_parser("reconcile", help="PostgreSQL balances against the live tables")
    rc.add_argument("--timeout", type=float, default=30.0,
                    help="keep comparing this long while they differ (the sink may trail)")
    rc.set_defaults(fn=_reconcile)


def _statement(args: argparse.Namespace, s: Settings) -> int:
    import psycopg

    from brokerage.reporting import queries, render
    from brokerage.reporting.dsn import resolve_dsn

    with psycopg.connect(resolve_dsn(s)) as conn:
        st = queries.statement(conn, args.trader, args.date)
    print(json.dumps(render.statement_json(st), indent=2) if args.json
          else render.statement_text(st))
    return 0


def _reconcile(args: argparse.Namespace, s: Settings) -> int:
    from brokerage.entrypoints.bootstrap import resolve
    from brokerage.reporting.dsn import resolve_dsn
    from brokerage.reporting.sources import reconcile

    result = reconcile(resolve(s), resolve_dsn(s), s, args.timeout)
    print(f"{result.traders} traders compared; the sink is {result.behind} inputs behind")
    for line in result.differences:
        print(f"DIFFERENT {line}")
    print("balances agree" if not result.differences
          else f"{len(result.differences)} traders differ")
    return 1 if result.differences else 0
