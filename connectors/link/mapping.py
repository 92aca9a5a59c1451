"""Our order commands and execution reports <-> the exchange JSON (docs/exchange-protocol.md)."""

from __future__ import annotations

from datetime import time
from typing import Any

from brokerage.codec.models import order_from_record
from brokerage.domain.events import ExecutionReport, OrderCommand
from brokerage.domain.hours import session_end_ms
from brokerage.domain.requests import trader_of
from brokerage.domain.types import ExecType, OrderAction, TimeInForce


def trade_of(client_order_id: str) -> str:
    """Our client order ids are '<trade_id>:<suffix>'."""
    return client_order_id.rsplit(":", 1)[0]


def request_for(o: OrderCommand, booked_ms: int | None = None, close: time | None = None
                ) -> tuple[str, str, dict[str, Any]]:
    """(method, path, body) of the exchange call an order command needs. A new DAY order
    booked at `booked_ms` before the venue's daily `close` must not outlive that session:
    its `expire_at_ms` says when it ends (docs/exchange-protocol.md)."""
    if o.action is OrderAction.NEW:
        body = {
            "client_order_id": o.order_id, "symbol": o.symbol, "side": o.side.value,
            "order_type": o.order_type.value, "time_in_force": o.time_in_force.value,
            "quantity": o.quantity, "limit_price": o.limit_price,
        }
        if o.time_in_force is TimeInForce.DAY and close is not None and booked_ms:
            body["expire_at_ms"] = session_end_ms(booked_ms, close)
        return "POST", "/orders", body
    target = o.target_order_id or f"{o.trade_id}:0"
    if o.action is OrderAction.CANCEL:
        return "POST", f"/orders/{target}/cancel", {"client_order_id": o.order_id}
    body = {"client_order_id": o.order_id, "quantity": o.quantity, "limit_price": o.limit_price}
    if o.new_time_in_force is not None:  # only then: a resent older replace stays identical
        body["time_in_force"] = o.new_time_in_force.value
    return "POST", f"/orders/{target}/replace", body


def resubmission(trade: dict[str, Any], close: time | None) -> tuple[str, str, dict[str, Any]]:
    """The call that resends an open trade's pending order (reconciliation: the exchange
    never got it), a DAY order with the end of the session it was booked in."""
    order = order_from_record(trade["pending_order"])
    return request_for(order, trade.get("created_ms"), close)


def report_from(r: dict[str, Any]) -> ExecutionReport:
    trade_id = trade_of(r["client_order_id"])
    return ExecutionReport(
        exec_id=str(r["exec_id"]), trader_id=trader_of(trade_id), trade_id=trade_id,
        exec_type=ExecType(r["exec_type"]), order_version=0,
        last_qty=int(r.get("last_qty") or 0), last_price=int(r.get("last_price") or 0),
        text=str(r.get("text") or ""),
    )


def refusal_report(o: OrderCommand, why: str) -> ExecutionReport:
    """The exchange refused a cancel/replace outright (it never saw the order): tell the
    worker as the exchange would have, so the trade leaves its pending state."""
    kinds = {OrderAction.CANCEL: ExecType.CANCEL_REJECTED,
             OrderAction.REPLACE: ExecType.REPLACE_REJECTED, OrderAction.NEW: ExecType.REJECTED}
    return ExecutionReport(f"refused:{o.order_id}", o.trader_id, o.trade_id, kinds[o.action],
                           o.version, 0, 0, why[:200])
