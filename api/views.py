"""JSON shapes for HTTP, derived from the trader_state Avro record the workers serve."""

from __future__ import annotations

from typing import Any

from .money import from_minor


def trade_json(t: dict[str, Any], trader_id: str) -> dict[str, Any]:
    filled = t["cum_qty"]
    return {
        "trade_id": t["trade_id"],
        "trader_id": trader_id,
        "client_request_id": t["request_id"],
        "status": t["status"],
        "side": t["side"],
        "symbol": t["symbol"],
        "order_type": t["order_type"],
        "time_in_force": t["time_in_force"],
        "quantity": t["quantity"],
        "limit_price": None if t["limit_price"] is None else from_minor(t["limit_price"]),
        "filled_quantity": filled,
        "average_price": from_minor(t["cum_notional"] // filled) if filled else None,
        "fees": from_minor(t["fees"]),
        "blocked_cash": from_minor(t["blocked_cash"]),
        "blocked_shares": t["blocked_shares"],
        "fills": [
            {"exec_id": f["exec_id"], "quantity": f["quantity"],
             "price": from_minor(f["price"]), "fee": from_minor(f["fee"])}
            for f in t["fills"]
        ],
        "created_ms": t["created_ms"],
        "updated_ms": t["updated_ms"],
        "history": [{"at_ms": c["at_ms"], "status": c["status"], "cause": c["cause"]}
                    for c in t["history"]],
    }


def find_trade(state: dict[str, Any], trade_id: str) -> dict[str, Any] | None:
    for t in state["trades"]:
        if t["trade_id"] == trade_id:
            return trade_json(t, state["trader_id"])
    return None


def wallet_json(state: dict[str, Any]) -> dict[str, Any]:
    return {
        "trader_id": state["trader_id"],
        "cash": {
            "available": from_minor(state["cash_available"]),
            "blocked": from_minor(state["cash_blocked"]),
        },
        "holdings": {
            p["symbol"]: {"available": p["available"], "blocked": p["blocked"]}
            for p in state["positions"] if p["available"] or p["blocked"]
        },
        "totals": {k: from_minor(v) for k, v in state["totals"].items()},
    }
