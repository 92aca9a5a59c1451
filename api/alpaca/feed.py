"""Which Alpaca trade-update event each of our trade events is; released in order per trader.

The responses topic says what a trade became (status, filled quantity, last fill). When
nothing was filled and the trade is still working, only the exchange's report says why: an
ack ("new"), a confirmed replace ("replaced") or a refused cancel/replace. Those updates wait
for their report from the executions topic (written before the worker even saw it, so it
normally is already here); the trader's later updates wait behind them, so order holds. If
the report does not come within `wait_ms` (read before this API started), the event is
inferred from the trade's previous status.

A NEW refused by the rules (e.g. insufficient buying power) booked nothing: its response
says only that, so its `rejected` update is built from the request itself, read from the
requests topic (written before the response). It waits for that request like an update for
its report; a refusal whose request is not in sight by then (sent before this API started)
is skipped, as are refused amends, cancels and wallet requests (the HTTP answer said it).
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Any

from brokerage.domain.requests import trade_id_for

from .shapes import unbooked

WAIT_MS = 3000
MEMORY = 100_000  # exec types, event ids and statuses remembered (each bounded)
PENDING = {"PENDING_NEW": "pending_new", "PENDING_CANCEL": "pending_cancel",
           "PENDING_REPLACE": "pending_replace"}
FINAL = {"CANCELED": "canceled", "EXPIRED": "expired", "REJECTED": "rejected"}
BY_EXEC = {"NEW": "new", "REPLACED": "replaced", "CANCEL_REJECTED": "order_cancel_rejected",
           "REPLACE_REJECTED": "order_replace_rejected"}


@dataclass(frozen=True, slots=True)
class Update:
    trader_id: str
    trade_id: str
    event: str
    status: str  # our status after the event
    cum_qty: int | None  # None for a response: it does not say
    last_qty: int
    last_price: int  # minor units
    exec_id: str | None
    at_ms: int
    order_id: str | None = None  # the live exchange order it is about, when known
    request_id: str | None = None  # a response's request
    order: dict[str, Any] | None = None  # a trade-like order never booked (a refused NEW)


def needs_report(rec: dict[str, Any]) -> bool:
    return (rec["kind"] == "UPDATE" and not rec["last_qty"] and rec["status"] not in FINAL)


def refused(rec: dict[str, Any]) -> bool:
    """A refusal that may be a NEW's; a reused request id names a trade that exists."""
    return (rec["kind"] == "RESPONSE" and not rec["accepted"]
            and rec["reason"] != "DUPLICATE_REQUEST")


def event_for(rec: dict[str, Any], exec_type: str | None, prior: str | None) -> str | None:
    if rec["kind"] == "RESPONSE":  # refused NEWs are `rejected` (Feed._update)
        return PENDING.get(rec["status"] or "") if rec["accepted"] else None
    if rec["last_qty"]:
        return "fill" if rec["status"] == "FILLED" else "partial_fill"
    if rec["status"] in FINAL:
        return FINAL[rec["status"]]
    if exec_type is not None:
        return BY_EXEC.get(exec_type, "new")
    if rec["status"] in PENDING or prior not in ("PENDING_REPLACE", "PENDING_CANCEL"):
        return "new"  # an ack, possibly while a change is pending
    return "replaced" if prior == "PENDING_REPLACE" else "order_cancel_rejected"


class _Bounded(OrderedDict[str, Any]):
    def put(self, key: str, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        if len(self) > MEMORY:
            self.popitem(last=False)


class Feed:
    def __init__(self, wait_ms: int = WAIT_MS) -> None:
        self.wait_ms = wait_ms
        self._exec_types = _Bounded()
        self._seen = _Bounded()  # event ids: a redelivered event is streamed once
        self._prior = _Bounded()  # trade id -> last status streamed
        self._orders = _Bounded()  # trade id -> its live exchange order, as last reported
        self._requests = _Bounded()  # (trader, request id) -> a NEW's body, or None
        self._queues: dict[str, deque[tuple[dict[str, Any], int, int]]] = {}

    def execution(self, exec_id: str, exec_type: str) -> None:
        self._exec_types.put(exec_id, exec_type)

    def request(self, rec: dict[str, Any]) -> None:
        kind, body = rec["body"]
        new = body if kind.endswith("NewTrade") else None
        self._requests.put(f"{rec['trader_id']}\0{rec['request_id']}", new)

    def event(self, rec: dict[str, Any], at_ms: int, now_ms: int) -> None:
        if rec["event_id"] in self._seen or not (rec.get("trade_id") or refused(rec)):
            return
        self._seen.put(rec["event_id"], None)
        q = self._queues.setdefault(rec["trader_id"], deque())
        q.append((rec, at_ms, now_ms + self.wait_ms))

    def release(self, now_ms: int) -> list[Update]:
        out: list[Update] = []
        for trader in list(self._queues):
            q = self._queues[trader]
            while q:
                rec, at_ms, deadline = q[0]
                exec_id = rec["event_id"][5:] if rec["kind"] == "UPDATE" else None
                exec_type = self._exec_types.get(exec_id) if exec_id else None
                asked = f"{trader}\0{rec['request_id']}"
                if now_ms < deadline and (
                        (needs_report(rec) and exec_type is None)
                        or (refused(rec) and asked not in self._requests)):
                    break
                q.popleft()
                update = self._update(rec, at_ms, exec_id, exec_type)
                if update is not None:
                    out.append(update)
            if not q:
                del self._queues[trader]
        return out

    def _update(self, rec: dict[str, Any], at_ms: int, exec_id: str | None,
                exec_type: str | None) -> Update | None:
        if refused(rec):
            return self._rejected(rec, at_ms)
        trade_id, status = rec["trade_id"], rec["status"]
        event = event_for(rec, exec_type, self._prior.get(trade_id))
        if event is None:
            return None
        self._prior.put(trade_id, status)
        if rec.get("order_id"):
            self._orders.put(trade_id, rec["order_id"])
        update = rec["kind"] == "UPDATE"
        return Update(rec["trader_id"], trade_id, event, status,
                      rec["cum_qty"] if update else None, rec["last_qty"], rec["last_price"],
                      exec_id, at_ms, self._orders.get(trade_id),
                      None if update else rec["request_id"])

    def _rejected(self, rec: dict[str, Any], at_ms: int) -> Update | None:
        trader, request_id = rec["trader_id"], rec["request_id"]
        new = self._requests.get(f"{trader}\0{request_id}")
        if new is None:  # not a NEW, or its request was not seen
            return None
        trade_id = trade_id_for(trader, request_id)
        order = unbooked(trade_id, request_id, at_ms, new["symbol"], new["quantity"],
                         new["order_type"], new["side"], new["time_in_force"],
                         new["limit_price"], "REJECTED")
        return Update(trader, trade_id, "rejected", "REJECTED", 0, 0, 0, None, at_ms,
                      request_id=request_id, order=order)
