"""`brokerage demo`: seed a few traders, trade through the HTTP API, print the outcome."""

from __future__ import annotations

import logging
import tempfile
import time
import uuid
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from brokerage.config import Settings

from .demo_statement import postgres_available, print_statement
from .stack import stack
from .tokens import bearer

TERMINAL = {"FILLED", "CANCELED", "REJECTED", "EXPIRED"}
# (trader, side, symbol, qty, limit price): the last buy is far beyond bob's cash.
ORDERS = [
    ("alice", "BUY", "AAPL", 150, "190.20"),  # sweeps two price levels of the book
    ("alice", "BUY", "MSFT", 5, "412.00"),
    ("bob", "BUY", "GOOG", 20, "176.00"),
    ("bob", "SELL", "TSLA", 3, "249.00"),
    ("carol", "BUY", "AAPL", 100, "150.00"),  # rests: below the market
    ("bob", "BUY", "MSFT", 1000, "410.00"),  # INSUFFICIENT_FUNDS
]
DEPOSITS = [("alice", {"amount": "50000.00"}), ("bob", {"amount": "5000.00"}),
            ("bob", {"shares": 10, "symbol": "TSLA"}), ("carol", {"amount": "20000.00"})]


def run(settings: Settings, standalone: bool = False) -> int:
    if not standalone:
        return _demo(f"http://{settings.api_host}:{settings.api_port}", settings)
    reporting = postgres_available(settings)  # then also the sink and its statements
    with tempfile.TemporaryDirectory() as logs, \
            stack(settings, log_dir=logs, reporting=reporting) as running:
        return _demo(running.url, settings)


def _demo(url: str, settings: Settings) -> int:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    console = Console(width=130)
    run_id = uuid.uuid4().hex[:6]  # fresh traders each run, so a rerun starts clean
    admin = bearer(settings, "demo-admin", admin=True)
    with httpx.Client(base_url=url, timeout=30, headers=admin) as http:
        for trader, body in DEPOSITS:
            r = http.post(f"/v1/traders/{trader}-{run_id}/deposits", json=body)
            r.raise_for_status()
        results: list[tuple[str, dict[str, Any]]] = []
        for trader, side, symbol, qty, price in ORDERS:
            tid = f"{trader}-{run_id}"
            r = http.post("/v1/trades", headers=bearer(settings, tid), json={
                "trader_id": tid, "side": side, "symbol": symbol,
                "quantity": qty, "limit_price": price})
            body = r.json()
            results.append((trader, body | {"reason": body.get("error", {}).get("code")}))
        # The cancel shows release of blocked cash; the resting order is carol's.
        rest = next(t for name, t in results if name == "carol" and "trade_id" in t)
        http.delete(f"/v1/trades/{rest['trade_id']}").raise_for_status()
        final = [(name, _settled(http, t)) for name, t in results]
        _print_trades(console, final)
        wallets = [http.get(f"/v1/traders/{n}-{run_id}/wallet").json()
                   for n in ("alice", "bob", "carol")]
        _print_wallets(console, wallets)
        print_statement(console, http, f"alice-{run_id}",
                        sum(len(t.get("fills", [])) for name, t in final if name == "alice"))
        for _, t in final:  # leave no resting demo orders to block the next run's fills
            if t.get("status") in ("NEW", "PARTIALLY_FILLED"):
                http.delete(f"/v1/trades/{t['trade_id']}")
    rejected = [t for _, t in final if t.get("reason") == "INSUFFICIENT_FUNDS"]
    return 0 if rejected else 1


def _settled(http: httpx.Client, t: dict[str, Any]) -> dict[str, Any]:
    if "trade_id" not in t:
        return t
    deadline = time.monotonic() + 15
    cur: dict[str, Any] = t
    while time.monotonic() < deadline:
        cur = http.get(f"/v1/trades/{t['trade_id']}").json()
        if cur.get("status") in TERMINAL | {"NEW", "PARTIALLY_FILLED"}:
            break  # settled, or resting at the exchange
        time.sleep(0.2)
    return cur


def _print_trades(console: Console, rows: list[tuple[str, dict[str, Any]]]) -> None:
    table = Table(title="Trades")
    for col in ("trader", "side", "symbol", "qty", "limit", "status", "filled", "fills",
                "avg price", "fees", "reason"):
        table.add_column(col)
    for (name, t), (_, side, sym, qty, price) in zip(rows, ORDERS, strict=True):
        table.add_row(name, side, sym, str(qty), price, t.get("status", "REJECTED"),
                      str(t.get("filled_quantity", 0)),
                      " ".join(f"{f['quantity']}@{f['price']}" for f in t.get("fills", [])),
                      str(t.get("average_price") or "-"),
                      str(t.get("fees", "-")), t.get("reason") or "")
    console.print(table)


def _print_wallets(console: Console, wallets: list[dict[str, Any]]) -> None:
    table = Table(title="Wallets")
    for col in ("trader", "cash available", "cash blocked", "holdings (available/blocked)"):
        table.add_column(col)
    for w in wallets:
        holdings = ", ".join(f"{s} {h['available']}/{h['blocked']}"
                             for s, h in w.get("holdings", {}).items())
        table.add_row(w["trader_id"], w["cash"]["available"], w["cash"]["blocked"], holdings)
    console.print(table)
