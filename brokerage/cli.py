"""`brokerage`: the one entry point for every process. Parses arguments and dispatches."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from brokerage.config import Settings, get_settings


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="brokerage", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    from brokerage.entrypoints import stack_cmd

    stack_cmd.add_parsers(sub)

    from brokerage.entrypoints import (
        apikey_cmd,
        audit_cmd,
        chaos_cmd,
        dlq_cmd,
        exchange_cmd,
        tokens,
        trade_cmd,
    )

    exchange_cmd.add_parser(sub)
    apikey_cmd.add_parser(sub)
    audit_cmd.add_parsers(sub)
    chaos_cmd.add_parser(sub)
    dlq_cmd.add_parser(sub)
    trade_cmd.add_parser(sub)
    tokens.add_parser(sub)

    from brokerage.entrypoints import postgres_cmd, reporting_cmd, sink_cmd

    postgres_cmd.add_parser(sub)
    sink_cmd.add_parser(sub)
    reporting_cmd.add_parsers(sub)

    from brokerage.entrypoints import bench_cmd

    bench_cmd.add_parser(sub)

    from brokerage.entrypoints import backup_cmd

    backup_cmd.add_parsers(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from brokerage.observability import process

    process.start(args.command, get_settings())  # JSON logs, secrets redacted (README: Operating)
    fn: Callable[[argparse.Namespace, Settings], int] = args.fn
    try:
        return fn(args, get_settings())
    except KeyboardInterrupt:
        return 130
    except RuntimeError as exc:  # our clear, user-facing errors
        print(f"brokerage: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
