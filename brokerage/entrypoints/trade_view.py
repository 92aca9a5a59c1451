"""How `brokerage trade` prints a trade, a wallet and a page of trades (rich tables)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def console() -> Console:
    out = Console(highlight=False)
    # Piped or captured: wide enough that ids and amounts are never folded.
    return out if out.is_terminal else Console(highlight=False, width=160)


def show_trade(t: dict[str, Any]) -> None:
    table = Table(title=f"trade {t['trade_id']}", show_header=False, title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value")
    price = t["limit_price"] if t["limit_price"] is not None else "-"
    rows = [
        ("status", t["status"]),
        ("trader", t["trader_id"]),
        ("order", f"{t['side']} {t['quantity']} {t['symbol']} {t['order_type']} "
                  f"{t['time_in_force']}"),
        ("limit price", price),
        ("filled", f"{t['filled_quantity']} of {t['quantity']}"),
        ("average price", t["average_price"] or "-"),
        ("fees", t["fees"]),
        ("blocked cash", t["blocked_cash"]),
        ("blocked shares", str(t["blocked_shares"])),
        ("client request id", t["client_request_id"]),
    ]
    for k, v in rows:
        table.add_row(k, v)
    out = console()
    out.print(table)
    if t["fills"]:
        fills = Table(title="fills", title_justify="left")
        for col in ("exec id", "quantity", "price", "fee"):
            fills.add_column(col, justify="left" if col == "exec id" else "right")
        for f in t["fills"]:
            fills.add_row(f["exec_id"], str(f["quantity"]), f["price"], f["fee"])
        out.print(fills)


def show_wallet(w: dict[str, Any]) -> None:
    out = console()
    cash = Table(title=f"wallet {w['trader_id']}", title_justify="left")
    for col in ("asset", "available", "blocked"):
        cash.add_column(col, justify="left" if col == "asset" else "right")
    cash.add_row("cash", w["cash"]["available"], w["cash"]["blocked"])
    for symbol, pos in sorted(w["holdings"].items()):
        cash.add_row(symbol, str(pos["available"]), str(pos["blocked"]))
    out.print(cash)
    if w.get("totals"):
        totals = Table(title="totals", show_header=False, title_justify="left")
        totals.add_column("what", style="bold")
        totals.add_column("amount", justify="right")
        for k, v in sorted(w["totals"].items()):
            totals.add_row(k.replace("_", " "), v)
        out.print(totals)


def show_list(trader_id: str, page: dict[str, Any]) -> None:
    table = Table(title=f"trades of {trader_id} (newest first)", title_justify="left")
    for col in ("trade id", "status", "side", "symbol", "qty", "filled", "limit", "avg",
                "fees", "blocked"):
        table.add_column(col)
    for t in page["trades"]:
        table.add_row(t["trade_id"], t["status"], t["side"], t["symbol"], str(t["quantity"]),
                      str(t["filled_quantity"]), t["limit_price"] or "-",
                      t["average_price"] or "-", t["fees"], t["blocked_cash"])
    out = console()
    out.print(table)
    if page.get("next_cursor"):
        out.print(f"more: --cursor {page['next_cursor']}")
