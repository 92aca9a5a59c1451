"""The ledger export of a backup: per trader, balances, holdings and open trades, as JSON.

Sealed with the state key ring (AES-GCM, purpose "backup-ledger") when one is configured:
balances are as sensitive in a backup as in the tables.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from brokerage.codec.state_log import states_of
from brokerage.domain.state import TraderState
from brokerage.security import envelope, keys

PURPOSE = b"backup-ledger"
PLAIN, SEALED = "ledger.json", "ledger.json.sealed"


def entry(state: TraderState, partition: int) -> dict[str, Any]:
    """One trader's ledger line; money in integer cents, as the tables hold it."""
    return {
        "trader_id": state.trader_id, "partition": partition,
        "cash": {"available": state.cash_available, "blocked": state.cash_blocked},
        "holdings": {sym: {"available": p.available, "blocked": p.blocked}
                     for sym, p in sorted(state.positions.items())},
        "open_trades": [
            {"trade_id": t.trade_id, "status": t.status.value, "side": t.side.value,
             "symbol": t.symbol, "quantity": t.quantity, "cum_qty": t.cum_qty,
             "limit_price": t.limit_price}
            for t in state.trades.values() if not t.status.terminal],
    }


def export(tables: dict[int, dict[bytes, bytes]]) -> list[dict[str, Any]]:
    rows = [entry(s, p) for p, values in tables.items() for s in states_of(values).values()]
    return sorted(rows, key=lambda r: r["trader_id"])


def write(root: Path, tables: dict[int, dict[bytes, bytes]]) -> str:
    """Write the export; returns its file name."""
    data = json.dumps({"traders": export(tables)}, sort_keys=True, indent=1).encode()
    ring = keys.current()
    if ring is None:
        (root / PLAIN).write_bytes(data)
        return PLAIN
    (root / SEALED).write_bytes(envelope.seal(data, PURPOSE, ring))
    return SEALED


def read(root: Path, name: str) -> list[dict[str, Any]]:
    raw = (root / name).read_bytes()
    if name == SEALED:
        raw = envelope.open_sealed(raw, PURPOSE, keys.current())
    rows: list[dict[str, Any]] = json.loads(raw)["traders"]
    return rows
