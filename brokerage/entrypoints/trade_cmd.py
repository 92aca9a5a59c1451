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
from typing import Any

from brokerage.domain.types import TimeInForce, TradeStatus

from .trade_actions import amend, amend_body, cancel, listing, new_trade, status, wallet
from .trade_client import TOKEN_ENV
from .trade_view import show_list, show_trade, show_wallet

__all__ = ["TIFS", "TOKEN_ENV", "add_parser", "amend", "amend_body", "cancel", "listing",
           "new_trade", "show_list", "show_trade", "show_wallet", "status", "wallet"]

TIFS = [x.value for x in TimeInForce]


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
