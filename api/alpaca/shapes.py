"""Our trades, as Alpaca orders. Ids become UUIDs, money decimal strings, times RFC 3339.

Alpaca's ids are UUIDs (the SDK's models insist), ours are "<trader>.<16 hex>". An order's
id is a name-based UUID (v5) of the trade id: stable, and found again by scanning the
caller's own trades, which also keeps anyone from reaching another trader's order.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from api.money import MINOR, from_minor
from brokerage.domain.types import TERMINAL, TradeStatus

NAMESPACE = uuid.UUID("5f0c2d4e-8a51-4c1e-9b7d-3e6f1a2b9c70")

# The names are Alpaca's, in capitals; REPLACED is a superseded version (api/alpaca/versions).
STATUS = {s.value: s.value.lower() for s in TradeStatus} | {"REPLACED": "replaced"}
TERMINAL_STATUSES = frozenset(s.value for s in TERMINAL)
STAMPS = {"FILLED": "filled_at", "CANCELED": "canceled_at", "EXPIRED": "expired_at",
          "REJECTED": "failed_at"}


def order_uuid(trade_id: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"order:{trade_id}"))


def asset_uuid(symbol: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"asset:{symbol}"))


def account_uuid(trader_id: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"account:{trader_id}"))


def exec_uuid(exec_id: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"exec:{exec_id}"))


def rfc3339(ms: int) -> str:
    seconds, rest = divmod(ms, 1000)
    at = datetime.fromtimestamp(seconds, UTC).replace(microsecond=rest * 1000)
    return at.isoformat().replace("+00:00", "Z")


def average(notional_minor: int, qty: int) -> str:
    """Exact to the cent when it is, else to 1/100 of a cent (Alpaca sends finer too)."""
    d = Decimal(notional_minor) / qty / MINOR
    cents = d.quantize(Decimal("0.01"))
    return str(cents if cents == d else d.quantize(Decimal("0.0001")))


def find(state: dict[str, Any] | None, order_id: str) -> dict[str, Any] | None:
    """The caller's trade behind an order id (UUID) or a trade id."""
    for t in (state or {}).get("trades", []):
        if order_id in (t["trade_id"], order_uuid(t["trade_id"])):
            return t
    return None


def unbooked(trade_id: str, request_id: str, at_ms: int, symbol: str, quantity: int,
             order_type: str, side: str, time_in_force: str, limit_price: int | None,
             status: str) -> dict[str, Any]:
    """A trade-like order for a NEW the trader's state does not hold (not yet booked, or
    refused), for `order_json`."""
    return {"trade_id": trade_id, "request_id": request_id, "created_ms": at_ms,
            "updated_ms": at_ms, "symbol": symbol, "quantity": quantity, "cum_qty": 0,
            "cum_notional": 0, "order_type": order_type, "side": side,
            "time_in_force": time_in_force, "limit_price": limit_price, "status": status,
            "fills": [], "history": [{"at_ms": at_ms, "status": status, "cause": request_id}]}


def order_json(t: dict[str, Any], status: str | None = None, cum_qty: int | None = None,
               at_ms: int | None = None) -> dict[str, Any]:
    """An Alpaca order. `status`, `cum_qty` and `at_ms` give it as of a past update (the
    trade-update stream reads the state after the fact: later fills are left out)."""
    status = status or t["status"]
    filled_qty, notional = t["cum_qty"], t["cum_notional"]
    if cum_qty is not None and cum_qty != filled_qty:
        filled_qty, notional = cum_qty, notional_up_to(t["fills"], cum_qty)
    replaced_ms = t.get("replaced_ms")
    order = {
        "id": t.get("id") or order_uuid(t["trade_id"]),
        "client_order_id": t["request_id"],
        "created_at": rfc3339(t["created_ms"]),
        "updated_at": rfc3339(at_ms if at_ms is not None else t["updated_ms"]),
        "submitted_at": rfc3339(t["created_ms"]),
        "filled_at": None, "expired_at": None, "canceled_at": None, "failed_at": None,
        "replaced_at": None if replaced_ms is None else rfc3339(replaced_ms),
        "replaced_by": t.get("replaced_by"), "replaces": t.get("replaces"), "expires_at": None,
        "asset_id": asset_uuid(t["symbol"]),
        "symbol": t["symbol"],
        "asset_class": "us_equity",
        "notional": None,
        "qty": str(t["quantity"]),
        "filled_qty": str(filled_qty),
        "filled_avg_price": average(notional, filled_qty) if filled_qty else None,
        "order_class": "simple",
        "order_type": t["order_type"].lower(),
        "type": t["order_type"].lower(),
        "side": t["side"].lower(),
        "time_in_force": t["time_in_force"].lower(),
        "limit_price": None if t["limit_price"] is None else from_minor(t["limit_price"]),
        "stop_price": None,
        "status": STATUS[status],
        "extended_hours": False,
        "legs": None,
        "trail_percent": None, "trail_price": None, "hwm": None,
        "position_intent": None,
    }
    stamp = STAMPS.get(status)
    if stamp:
        when = [c["at_ms"] for c in t["history"] if c["status"] == status]
        order[stamp] = rfc3339(when[0] if when else at_ms or t["updated_ms"])
    return order


def notional_up_to(fills: list[dict[str, Any]], qty: int) -> int:
    done = notional = 0
    for f in fills:
        if done + f["quantity"] > qty:
            break
        done += f["quantity"]
        notional += f["quantity"] * f["price"]
    return notional
