"""`brokerage trade`'s actions, one function each: the request, then the answer printed."""

from __future__ import annotations

import argparse
from typing import Any

from brokerage.config import Settings
from brokerage.domain.requests import trader_of

from .trade_client import call, done, idempotency
from .trade_view import show_list, show_trade, show_wallet


def new_trade(args: argparse.Namespace, s: Settings) -> int:
    body: dict[str, Any] = {
        "trader_id": args.trader, "side": args.action.upper(), "symbol": args.symbol,
        "quantity": args.quantity, "order_type": "MARKET" if args.market else "LIMIT",
        "time_in_force": args.tif,
    }
    if args.limit is not None:
        body["limit_price"] = args.limit  # a decimal string: never a float
    r = call(args, s, args.trader, "POST", "/v1/trades", json=body,
             headers=idempotency(args))
    return done(args, r, show_trade)


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
    r = call(args, s, trader_of(args.trade_id), "PATCH", f"/v1/trades/{args.trade_id}",
             json=body, headers=idempotency(args))
    return done(args, r, show_trade)


def cancel(args: argparse.Namespace, s: Settings) -> int:
    r = call(args, s, trader_of(args.trade_id), "DELETE", f"/v1/trades/{args.trade_id}",
             headers=idempotency(args))
    return done(args, r, show_trade)


def status(args: argparse.Namespace, s: Settings) -> int:
    r = call(args, s, trader_of(args.trade_id), "GET", f"/v1/trades/{args.trade_id}")
    return done(args, r, show_trade)


def listing(args: argparse.Namespace, s: Settings) -> int:
    params = {k: v for k, v in (("status", args.status), ("symbol", args.symbol),
                                ("limit", args.page_size), ("cursor", args.cursor)) if v}
    r = call(args, s, args.trader, "GET", f"/v1/traders/{args.trader}/trades", params=params)
    return done(args, r, lambda page: show_list(args.trader, page))


def wallet(args: argparse.Namespace, s: Settings) -> int:
    r = call(args, s, args.trader, "GET", f"/v1/traders/{args.trader}/wallet")
    return done(args, r, show_wallet)
