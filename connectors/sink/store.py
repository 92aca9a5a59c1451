"""The sink's reads and writes: one transaction per batch holds the rows, the sink's trader
states and the input offsets, so a batch is in the database entirely or not at all.

Rows go in by COPY into a session's temporary table, then one INSERT ... SELECT with the
conflict rule: a row already there (the same input) is left alone, and a trade's current
state is only ever replaced by a later one."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import psycopg

from brokerage.codec.state import state_from_bytes, state_to_bytes
from brokerage.domain.state import TraderState
from brokerage.reporting.queries import sink_offsets as load_offsets

from .project import Rows

_TRADE_COLUMNS = (
    "request_id", "side", "symbol", "order_type", "time_in_force", "quantity", "limit_price",
    "status", "cum_qty", "cum_notional", "fees", "blocked_cash", "blocked_shares", "created_at",
    "updated_at", "created_ms", "updated_ms", "input_offset")
# table -> (its columns in the rows' order, what a conflict on its key does)
_TABLES: dict[str, tuple[str, str]] = {
    "trade_events": (
        "trader_id, event_key, event_id, kind, request, request_id, trade_id, symbol, accepted,"
        " status, reason, message, cum_qty, last_qty, last_price, fee, at, at_ms,"
        " input_partition, input_offset", "DO NOTHING"),
    "fills": ("trader_id, exec_id, trade_id, side, symbol, quantity, price, fee, at, at_ms",
              "DO NOTHING"),
    "ledger_entries": ("trader_id, entry_id, account, symbol, bucket, kind, amount, cause,"
                       " trade_id, at, at_ms", "DO NOTHING"),
    "trades": (
        "trader_id, trade_id, " + ", ".join(_TRADE_COLUMNS),
        "(trader_id, trade_id) DO UPDATE SET "
        + ", ".join(f"{c} = EXCLUDED.{c}" for c in _TRADE_COLUMNS)
        + " WHERE trades.input_offset <= EXCLUDED.input_offset"),
    "sink_trader_state": ("trader_id, state, input_offset",
                          "(trader_id) DO UPDATE SET state = EXCLUDED.state,"
                          " input_offset = EXCLUDED.input_offset"),
}

__all__ = ["OffsetConflict", "load_offsets", "load_states", "write"]


class OffsetConflict(RuntimeError):
    """The database's offsets are not where this sink thought: another sink wrote them."""


def load_states(conn: psycopg.Connection, traders: Iterable[str]) -> dict[str, TraderState]:
    rows = conn.execute("SELECT trader_id, state FROM sink_trader_state"
                        " WHERE trader_id = ANY(%s)", (list(traders),)).fetchall()
    conn.commit()
    return {t: state_from_bytes(bytes(s)) for t, s in rows}


def _insert(cur: psycopg.Cursor[Any], table: str, rows: Sequence[Sequence[Any]]) -> None:
    if not rows:
        return
    columns, on_conflict = _TABLES[table]  # constants: no value is ever spliced into SQL
    cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS in_{table} (LIKE {table})"
                " ON COMMIT DELETE ROWS")
    with cur.copy(f"COPY in_{table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    cur.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM in_{table}"
                f" ON CONFLICT {on_conflict}")


def write(conn: psycopg.Connection, topic: str, rows: Rows,
          states: dict[str, tuple[TraderState, int]], expected: dict[int, int | None],
          next_offsets: dict[int, int], before_commit: Callable[[], None] = lambda: None
          ) -> None:
    """Everything of one batch, in one transaction. `expected`: the offsets this sink last
    wrote (None: no row yet); a difference means another sink took over, so nothing is written.
    """
    with conn.transaction(), conn.cursor() as cur:
        parts = sorted(next_offsets)
        cur.execute("SELECT partition, next_offset FROM sink_offsets WHERE topic = %s"
                    " AND partition = ANY(%s) FOR UPDATE", (topic, parts))
        found = {p: o for p, o in cur.fetchall()}
        if any(found.get(p) != expected.get(p) for p in parts):
            raise OffsetConflict(f"offsets moved: expected {expected}, found {found}")
        _insert(cur, "trade_events", rows.events)
        _insert(cur, "fills", rows.fills)
        _insert(cur, "ledger_entries", rows.ledger)
        _insert(cur, "trades", list(rows.trades.values()))
        _insert(cur, "sink_trader_state",
                [(t, state_to_bytes(s), o) for t, (s, o) in states.items()])
        cur.executemany(
            "INSERT INTO sink_offsets (topic, partition, next_offset) VALUES (%s, %s, %s)"
            " ON CONFLICT (topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset,"
            " updated_at = now()", [(topic, p, next_offsets[p]) for p in parts])
        before_commit()
