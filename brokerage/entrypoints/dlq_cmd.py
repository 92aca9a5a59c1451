"""`brokerage dlq inspect|replay`: read dead letters, and re-submit chosen ones after a fix."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from typing import Any

from confluent_kafka import Message
from rich.console import Console
from rich.table import Table

from brokerage.adapters.kafka import producer
from brokerage.adapters.topic_reader import read_all
from brokerage.config import Settings

from .bootstrap import resolve


def _header_pairs(msg: Message) -> list[tuple[str, str | bytes | None]]:
    raw = msg.headers() or []
    return list(raw.items()) if isinstance(raw, dict) else list(raw)


def _text(v: str | bytes | None) -> str:
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else (v or "")


def describe(msg: Message) -> dict[str, Any]:
    h = {k: _text(v) for k, v in _header_pairs(msg)}
    ts = int(h.get("dlq.timestamp_ms", "0") or 0)
    return {
        "id": f"{msg.partition()}:{msg.offset()}",
        "reason": h.get("dlq.reason", ""),
        "error": h.get("dlq.error", ""),
        "origin": f"{h.get('dlq.topic', '?')}/{h.get('dlq.partition', '?')}"
                  f"@{h.get('dlq.offset', '?')}",
        "topic": h.get("dlq.topic", ""),
        "key": (msg.key() or b"").decode("utf-8", "replace")[:40],
        "bytes": len(msg.value() or b""),
        "at": datetime.fromtimestamp(ts / 1000, UTC).isoformat(timespec="seconds") if ts else "",
    }


def selected(msg: Message, args: argparse.Namespace) -> bool:
    d = describe(msg)
    if args.id and d["id"] not in args.id:
        return False
    return not (args.reason and args.reason not in d["reason"])


def run(args: argparse.Namespace, s: Settings) -> int:
    bootstrap = resolve(s)
    msgs = [m for m in read_all(bootstrap, s.topic_dead_letters) if selected(m, args)]
    if args.action == "inspect":
        rows = [describe(m) for m in msgs][-args.limit:]
        if args.json:
            print(json.dumps(rows, indent=2))
            return 0
        table = Table(title=f"{s.topic_dead_letters}: {len(msgs)} dead letters")
        for col in ("id", "at", "error", "reason", "origin", "key", "bytes"):
            table.add_column(col)
        for r in rows:
            table.add_row(*(str(r[c])[:60] for c in ("id", "at", "error", "reason", "origin",
                                                     "key", "bytes")))
        Console(width=160).print(table)
        return 0
    if not (args.id or args.reason or args.all):
        raise RuntimeError("replay needs --id, --reason or --all")
    prod = producer(bootstrap)
    for m in msgs:
        d = describe(m)
        target = args.to or d["topic"]
        if args.dry_run:
            print(f"would replay {d['id']} -> {target}")
            continue
        prod.produce(target, m.value(), m.key(),
                     headers={"dlq.replayed_from": f"{s.topic_dead_letters}:{d['id']}"})
    left = prod.flush(30)
    print(f"replayed {len(msgs) - left} of {len(msgs)}" if not args.dry_run else "dry run")
    return 0 if left == 0 else 1


def add_parser(sub: Any) -> None:
    d = sub.add_parser("dlq", help="inspect or replay dead letters")
    d.add_argument("action", choices=["inspect", "replay"])
    d.add_argument("--id", action="append", help="partition:offset in the DLQ (repeatable)")
    d.add_argument("--reason", help="only dead letters whose reason contains this")
    d.add_argument("--all", action="store_true", help="replay: every selected dead letter")
    d.add_argument("--to", help="replay: target topic (default: the original topic)")
    d.add_argument("--dry-run", action="store_true")
    d.add_argument("--limit", type=int, default=50, help="inspect: show the last N")
    d.add_argument("--json", action="store_true", help="inspect: JSON instead of a table")
    d.set_defaults(fn=run)
