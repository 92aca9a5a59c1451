"""`brokerage trade buy|sell|amend|cancel|status|list|wallet`: a client of the HTTP API.

    brokerage trade buy --trader alice AAPL 10 --limit 191.00 [--tif DAY] [--key KEY]
    brokerage trade sell --trader alice AAPL 5 --market
    brokerage trade amend TRADE_ID [--qty N] [--limit P] [--tif GTC]
    brokerage trade cancel TRADE_ID
    brokerage trade status TRADE_ID
    brokerage trade list --trader alice [--status NEW] [--symbol AAPL]
    brokerage trade wallet --trader alice

The API is at --url, else the settings' api_host:api_port. The bearer token is --token, else
$BROKERAGE_API_TOKEN, else one issued here with the settings' secret for the trader (of a
trade: everything before the last "." of its id). Exit code 0 when the API accepted or
answered, 1 for a reject or any other error (its code and message go to stderr), 2 for bad
arguments.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from brokerage.config import Settings
from brokerage.domain.requests import trader_of
from brokerage.domain.types import TimeInForce, TradeStatus

from . import tokens

TOKEN_ENV = "BROKERAGE_API_TOKEN"
TIFS = [x.value for x in TimeInForce]


def _client(args: argparse.Namespace, s: Settings, trader_id: str) -> httpx.Client:
    url = args.url or f"http://{s.api_host}:{s.api_port}"
    token = args.token or os.environ.get(TOKEN_ENV) or tokens.issue(s, trader_id)
    return httpx.Client(base_url=url, timeout=args.timeout,
                        headers={"Authorization": f"Bearer {token}"})


def _call(args: argparse.Namespace, s: Settings, trader_id: str, method: str, path: str,
          **kwargs: Any) -> httpx.Response:
    with _client(args, s, trader_id) as c:
        try:
            return c.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise RuntimeError(f"cannot reach the API at {c.base_url}: {exc}") from exc


def _failed(r: httpx.Response) -> int:
    """Print the API's error (code and message) to stderr; the exit code for it."""
    try:
        err = r.json()["error"]
        code, message, details = err["code"], err["message"], err.get("details")
    except (ValueError, KeyError, TypeError):
        code, message, details = "error", r.text[:500] or r.reason_phrase, None
    print(f"error {code} (HTTP {r.status_code}): {message}", file=sys.stderr)
    if isinstance(details, list):  # field errors of a malformed request
        for d in details:
            print(f"  {'.'.join(map(str, d.get('loc', [])))}: {d.get('msg', '')}",
                  file=sys.stderr)
    if r.status_code == 429 and "retry-after" in r.headers:
        print(f"  retry after {r.headers['retry-after']} s", file=sys.stderr)
    return 1


def _console() -> Console:
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
    out = _console()
    out.print(table)
    if t["fills"]:
        fills = Table(title="fills", title_justify="left")
        for col in ("exec id", "quantity", "price", "fee"):
            fills.add_column(col, justify="left" if col == "exec id" else "right")
        for f in t["fills"]:
            fills.add_row(f["exec_id"], str(f["quantity"]), f["price"], f["fee"])
        out.print(fills)


def show_wallet(w: dict[str, Any]) -> None:
    out = _console()
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
    out = _console()
    out.print(table)
    if page.get("next_cursor"):
        out.print(f"more: --cursor {page['next_cursor']}")


def _done(args: argparse.Namespace, r: httpx.Response, show: Any) -> int:
    if r.status_code >= 400:
        return _failed(r)
    body = r.json()
    if args.json:
        print(json.dumps(body, indent=2, sort_keys=True))
    elif r.status_code == 202:
        _console().print(f"{body['status']}: request {body['request_id']} was published; "
                         f"no answer yet, see {body['status_url']}")
    else:
        show(body)
    return 0


def _idempotency(args: argparse.Namespace) -> dict[str, str]:
    return {"Idempotency-Key": args.key} if args.key else {}


def new_trade(args: argparse.Namespace, s: Settings) -> int:
    body: dict[str, Any] = {
        "trader_id": args.trader, "side": args.action.upper(), "symbol": args.symbol,
        "quantity": args.quantity, "order_type": "MARKET" if args.market else "LIMIT",
        "time_in_force": args.tif,
    }
    if args.limit is not None:
        body["limit_price"] = args.limit  # a decimal string: never a float
    r = _call(args, s, args.trader, "POST", "/v1/trades", json=body,
              headers=_idempotency(args))
    return _done(args, r, show_trade)


def amend_body(args: argparse.Namespace) -> dict[str, Any]:
    """The PATCH /v1/trades/{id} body: only what was given. Any time in force goes through;
    the rules, not the CLI, refuse what may not change (INVALID_TIME_IN_FORCE)."""
    body = {k: v for k, v in (("quantity", args.qty), ("limit_price", args.limit),
                              ("time_in_force", args.tif)) if v is not None}
    if not body:
        raise RuntimeError("trade amend: give --qty, --limit and/or --tif")
    return body


def amend(args: argparse.Namespace, s: Settings) -> int:
    body = amend_body(args)
    r = _call(args, s, trader_of(args.trade_id), "PATCH", f"/v1/trades/{args.trade_id}",
              json=body, headers=_idempotency(args))
    return _done(args, r, show_trade)


def cancel(args: argparse.Namespace, s: Settings) -> int:
    r = _call(args, s, trader_of(args.trade_id), "DELETE", f"/v1/trades/{args.trade_id}",
              headers=_idempotency(args))
    return _done(args, r, show_trade)


def status(args: argparse.Namespace, s: Settings) -> int:
    r = _call(args, s, trader_of(args.trade_id), "GET", f"/v1/trades/{args.trade_id}")
    return _done(args, r, show_trade)


def listing(args: argparse.Namespace, s: Settings) -> int:
    params = {k: v for k, v in (("status", args.status), ("symbol", args.symbol),
                                ("limit", args.page_size), ("cursor", args.cursor)) if v}
    r = _call(args, s, args.trader, "GET", f"/v1/traders/{args.trader}/trades", params=params)
    return _done(args, r, lambda page: show_list(args.trader, page))


def wallet(args: argparse.Namespace, s: Settings) -> int:
    r = _call(args, s, args.trader, "GET", f"/v1/traders/{args.trader}/wallet")
    return _done(args, r, show_wallet)


def add_parser(sub: Any) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--url", help="the API (default: the settings' api_host:api_port)")
    common.add_argument("--token", help=f"bearer token (default: ${TOKEN_ENV}, else one "
                        "issued locally with the settings' secret)")
    common.add_argument("--json", action="store_true", help="print the API's JSON answer")
    common.add_argument("--timeout", type=float, default=30.0, help="seconds per request")

    t = sub.add_parser("trade", help="trade and read wallets over the HTTP API",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = t.add_subparsers(dest="action", required=True)

    for side in ("buy", "sell"):
        p = actions.add_parser(side, parents=[common], help=f"{side} shares")
        p.add_argument("--trader", required=True)
        p.add_argument("symbol")
        p.add_argument("quantity", type=int)
        price = p.add_mutually_exclusive_group(required=True)
        price.add_argument("--limit", help="limit price, a decimal string like 191.00")
        price.add_argument("--market", action="store_true", help="a market order")
        p.add_argument("--tif", default="DAY", type=str.upper, choices=TIFS,
                       help="time in force, any case (default DAY)")
        p.add_argument("--key", help="Idempotency-Key: a retry with the same key books once")
        p.set_defaults(fn=new_trade)

    p = actions.add_parser("amend", parents=[common],
                           help="change quantity, price and/or time in force")
    p.add_argument("trade_id")
    p.add_argument("--qty", type=int, help="the new total quantity")
    p.add_argument("--limit", help="the new limit price")
    p.add_argument("--tif", type=str.upper, choices=TIFS,
                   help="the new time in force, any case (only DAY <-> GTC is accepted)")
    p.add_argument("--key", help="Idempotency-Key")
    p.set_defaults(fn=amend)

    p = actions.add_parser("cancel", parents=[common], help="cancel what is not filled")
    p.add_argument("trade_id")
    p.add_argument("--key", help="Idempotency-Key")
    p.set_defaults(fn=cancel)

    p = actions.add_parser("status", parents=[common], help="a trade: status, fills, fees")
    p.add_argument("trade_id")
    p.set_defaults(fn=status)

    p = actions.add_parser("list", parents=[common], help="a trader's trades, newest first")
    p.add_argument("--trader", required=True)
    p.add_argument("--status", choices=[x.value for x in TradeStatus])
    p.add_argument("--symbol")
    p.add_argument("--page-size", type=int, help="trades per page (API default 50)")
    p.add_argument("--cursor", help="the next page, as printed by the previous one")
    p.set_defaults(fn=listing)

    p = actions.add_parser("wallet", parents=[common], help="cash and holdings")
    p.add_argument("--trader", required=True)
    p.set_defaults(fn=wallet)
