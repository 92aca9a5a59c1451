"""SQL over the reporting store. Every value is a bound parameter, never spliced into text."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg

from .statement import Entry, FillLine, Statement, TradeLine, build


class NoStoreError(RuntimeError):
    """The database has no reporting tables yet."""


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def moment(ms: int) -> datetime:
    """Epoch milliseconds as a UTC datetime, exactly (no float on the way)."""
    return EPOCH + timedelta(milliseconds=ms)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """A statement day is a UTC calendar day."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start, start + timedelta(days=1)


_OPENING = """
SELECT account, symbol, bucket, sum(amount)::bigint FROM ledger_entries
WHERE trader_id = %(t)s AND at < %(start)s GROUP BY account, symbol, bucket"""
_ENTRIES = """
SELECT account, symbol, bucket, kind, amount, cause, trade_id, at_ms FROM ledger_entries
WHERE trader_id = %(t)s AND at >= %(start)s AND at < %(end)s ORDER BY at_ms, entry_id"""
_FILLS = """
SELECT exec_id, trade_id, side, symbol, quantity, price, fee, at_ms FROM fills
WHERE trader_id = %(t)s AND at >= %(start)s AND at < %(end)s ORDER BY at_ms, exec_id"""
# The trades the day touched, with their status at its end (their last event until then).
_TRADES = """
WITH day AS (
  SELECT DISTINCT trade_id FROM trade_events
  WHERE trader_id = %(t)s AND at >= %(start)s AND at < %(end)s AND trade_id IS NOT NULL),
last AS (
  SELECT DISTINCT ON (e.trade_id) e.trade_id, e.status FROM trade_events e
  JOIN day ON day.trade_id = e.trade_id
  WHERE e.trader_id = %(t)s AND e.at < %(end)s AND e.status IS NOT NULL
  ORDER BY e.trade_id, e.input_offset DESC, e.event_key DESC)
SELECT t.trade_id, t.side, t.symbol, t.order_type, t.time_in_force, t.quantity, t.limit_price,
       last.status, t.created_ms
FROM trades t JOIN last ON last.trade_id = t.trade_id
WHERE t.trader_id = %(t)s ORDER BY t.created_ms, t.trade_id"""


def statement(conn: psycopg.Connection, trader_id: str, day: date) -> Statement:
    start, end = day_bounds(day)
    p: dict[str, Any] = {"t": trader_id, "start": start, "end": end}
    try:
        opening = conn.execute(_OPENING, p).fetchall()
        entries = [Entry(*r) for r in conn.execute(_ENTRIES, p)]
        fills = [FillLine(*r) for r in conn.execute(_FILLS, p)]
        trades = [TradeLine(*r) for r in conn.execute(_TRADES, p)]
    except psycopg.errors.UndefinedTable as exc:
        raise NoStoreError("the reporting store has no tables yet: run "
                           "`brokerage sink postgres` once") from exc
    finally:
        conn.rollback()  # read only: end the implicit transaction
    return build(trader_id, day, opening, entries, trades, fills)


def known_trader(conn: psycopg.Connection, trader_id: str) -> bool:
    try:
        row = conn.execute("SELECT 1 FROM sink_trader_state WHERE trader_id = %s",
                           (trader_id,)).fetchone()
    except psycopg.errors.UndefinedTable:
        row = None
    conn.rollback()
    return row is not None


def all_balances(conn: psycopg.Connection) -> dict[str, list[tuple[str, str, str, int]]]:
    """Every trader's balance sums, as (account, symbol, bucket, amount) rows."""
    out: dict[str, list[tuple[str, str, str, int]]] = {}
    rows = conn.execute("SELECT trader_id, account, symbol, bucket, sum(amount)::bigint"
                        " FROM ledger_entries GROUP BY 1, 2, 3, 4").fetchall()
    conn.rollback()
    for trader, *rest in rows:
        out.setdefault(trader, []).append((rest[0], rest[1], rest[2], rest[3]))
    return out


def sink_offsets(conn: psycopg.Connection, topic: str) -> dict[int, int]:
    rows = conn.execute("SELECT partition, next_offset FROM sink_offsets WHERE topic = %s",
                        (topic,)).fetchall()
    conn.rollback()
    return {p: o for p, o in rows}


_HISTORY = """
SELECT trade_id, request_id, side, symbol, order_type, time_in_force, quantity, limit_price,
       status, cum_qty, cum_notional, fees, created_ms, updated_ms
FROM trades WHERE trader_id = %(t)s AND created_at >= %(since)s AND created_at < %(until)s
  AND (%(symbol)s::text IS NULL OR symbol = %(symbol)s)
ORDER BY created_at DESC, trade_id DESC LIMIT %(limit)s"""


def trade_history(conn: psycopg.Connection, trader_id: str, since: datetime, until: datetime,
                  symbol: str | None, limit: int) -> list[dict[str, Any]]:
    """Trades created in [since, until), newest first: kept here after the tables evict them."""
    p = {"t": trader_id, "since": since, "until": until, "symbol": symbol, "limit": limit}
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        rows = cur.execute(_HISTORY, p).fetchall()
    conn.rollback()
    return rows
