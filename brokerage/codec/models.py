"""Typed messages <-> Avro records. The one place that knows both shapes.

Sanity limits here turn absurd but schema-valid input into a MalformedRecord, which the
worker sends to the dead-letter topic; finer business checks stay in the domain.
"""

from __future__ import annotations

import re
from typing import Any

from brokerage.domain import events as ev
from brokerage.domain.types import ExecType, OrderAction, OrderType, Side, TimeInForce

# \Z, not $: Python's $ also matches before a trailing newline, which let "alice\n" through.
ID = re.compile(r"^[A-Za-z0-9_\-:.]{1,64}\Z")
SYMBOL = re.compile(r"^[A-Z0-9.]{1,12}\Z")
MAX_ABS = 10**15  # no quantity, price or amount is anywhere near this


class MalformedRecord(ValueError):
    def __init__(self, detail: str, trader_id: str | None, request_id: str | None) -> None:
        super().__init__(detail)
        self.trader_id, self.request_id = trader_id, request_id


def _check(rec: dict[str, Any], key: bytes | None) -> tuple[str, str]:
    trader, req = rec.get("trader_id", ""), rec.get("request_id", "")
    ok_ids = bool(ID.match(trader)) and bool(ID.match(req))
    t, r = (trader, req) if ok_ids else (None, None)
    if not ok_ids:
        raise MalformedRecord("trader_id and request_id must match [A-Za-z0-9_-:.]{1,64}", t, r)
    if key is None or key.decode("utf-8", "replace") != trader:
        raise MalformedRecord("the message key must be the trader id", t, r)
    kind, body = rec["body"]
    for field in ("quantity", "limit_price", "amount"):
        n = body.get(field)
        if n is not None and not 0 < n < MAX_ABS:
            raise MalformedRecord(f"{field} {n} is out of range", t, r)
    sym = body.get("symbol")
    if sym is not None and not SYMBOL.match(sym):
        raise MalformedRecord("symbol must be 1-12 of A-Z0-9.", t, r)
    if "trade_id" in body and not ID.match(body["trade_id"]):
        raise MalformedRecord("bad trade_id", t, r)
    return trader, req


def event_from_request_record(rec: dict[str, Any], key: bytes | None) -> ev.Request:
    trader, req = _check(rec, key)
    kind, body = rec["body"]
    kind = kind.rsplit(".", 1)[-1]
    if kind == "NewTrade":
        return ev.NewTrade(
            req, trader, Side(body["side"]), body["symbol"], body["quantity"],
            OrderType(body["order_type"]), body["limit_price"], TimeInForce(body["time_in_force"]),
        )
    if kind == "CancelTrade":
        return ev.CancelTrade(req, trader, body["trade_id"])
    if kind == "AmendTrade":
        tif = _named(body.get("time_in_force"))  # absent from data written before it existed
        return ev.AmendTrade(req, trader, body["trade_id"], body["quantity"], body["limit_price"],
                             time_in_force=None if tif is None else TimeInForce(tif))
    if kind in ("Deposit", "Withdraw"):
        cls = ev.Deposit if kind == "Deposit" else ev.Withdraw
        return cls(req, trader, body["amount"], body["symbol"])
    raise MalformedRecord(f"unexpected body {kind}", trader, req)


def request_to_record(r: ev.Request) -> dict[str, Any]:
    body: tuple[str, dict[str, Any]]
    if isinstance(r, ev.NewTrade):
        body = ("brokerage.v1.NewTrade", {
            "side": r.side.value, "symbol": r.symbol, "quantity": r.quantity,
            "order_type": r.order_type.value, "limit_price": r.limit_price,
            "time_in_force": r.time_in_force.value})
    elif isinstance(r, ev.AmendTrade):
        body = ("brokerage.v1.AmendTrade",
                {"trade_id": r.trade_id, "quantity": r.quantity, "limit_price": r.limit_price,
                 "time_in_force": r.time_in_force and r.time_in_force.value})
    elif isinstance(r, ev.CancelTrade):
        body = ("brokerage.v1.CancelTrade", {"trade_id": r.trade_id})
    else:
        name = "Deposit" if isinstance(r, ev.Deposit) else "Withdraw"
        body = (f"brokerage.v1.{name}", {"amount": r.amount, "symbol": r.symbol})
    return {"request_id": r.request_id, "trader_id": r.trader_id, "body": body}


def output_to_record(o: ev.Response | ev.TradeUpdate) -> dict[str, Any]:
    if isinstance(o, ev.Response):
        return {
            "event_id": f"resp:{o.request_id}", "kind": "RESPONSE", "trader_id": o.trader_id,
            "request_id": o.request_id, "trade_id": o.trade_id, "accepted": o.accepted,
            "status": o.status and o.status.value, "reason": o.reason and o.reason.value,
            "message": o.message,
        }
    return {
        "event_id": f"exec:{o.exec_id}", "kind": "UPDATE", "trader_id": o.trader_id,
        "trade_id": o.trade_id, "status": o.status.value, "cum_qty": o.cum_qty,
        "last_qty": o.last_qty, "last_price": o.last_price, "fee": o.fee,
        "order_id": o.order_id or None,
    }


def order_to_record(o: ev.OrderCommand) -> dict[str, Any]:
    return {
        "action": o.action.value, "order_id": o.order_id, "trade_id": o.trade_id,
        "trader_id": o.trader_id, "version": o.version, "symbol": o.symbol,
        "side": o.side.value, "quantity": o.quantity, "order_type": o.order_type.value,
        "time_in_force": o.time_in_force.value, "limit_price": o.limit_price,
        "target_order_id": o.target_order_id,
        "new_time_in_force": o.new_time_in_force and o.new_time_in_force.value,
    }


def order_from_record(r: dict[str, Any]) -> ev.OrderCommand:
    return ev.OrderCommand(
        OrderAction(r["action"]), r["order_id"], r["trade_id"], r["trader_id"], r["version"],
        r["symbol"], Side(r["side"]), r["quantity"], OrderType(r["order_type"]),
        TimeInForce(r["time_in_force"]), r["limit_price"], r["target_order_id"],
        TimeInForce(tif) if (tif := _named(r.get("new_time_in_force"))) else None,
    )


def _named(value: Any) -> Any:
    """A union's enum branch comes back from the decoder as (full name, symbol)."""
    return value[1] if isinstance(value, tuple) else value


def execution_to_record(e: ev.ExecutionReport, seq: int = 0) -> dict[str, Any]:
    return {
        "exec_id": e.exec_id, "trader_id": e.trader_id, "trade_id": e.trade_id,
        "exec_type": e.exec_type.value, "order_version": e.order_version,
        "last_qty": e.last_qty, "last_price": e.last_price, "seq": seq, "text": e.text,
    }


def execution_from_record(r: dict[str, Any]) -> ev.ExecutionReport:
    return ev.ExecutionReport(
        r["exec_id"], r["trader_id"], r["trade_id"], ExecType(r["exec_type"]),
        r["order_version"], r["last_qty"], r["last_price"], r["text"],
    )
