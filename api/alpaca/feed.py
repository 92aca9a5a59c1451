"""Which Alpaca trade-update event each of our trade events is; released in order per trader.

The responses topic says what a trade became (status, filled quantity, last fill). When
nothing was filled and the trade is still working, only the exchange's report says why: an
ack ("new"), a confirmed replace ("replaced") or a refused cancel/replace. Those updates wait
for their report from the executions topic (written before the worker even saw it, so it
normally is already here); the trader's later updates wait behind them, so order holds. If
the report does not come within `wait_ms` (read before this API started), the event is
inferred from the trade's previous status.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Any

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


def needs_report(rec: dict[str, Any]) -> bool:
    return (rec["kind"] == "UPDATE" and not rec["last_qty"] and rec["status"] not in FINAL)


def event_for(rec: dict[str, Any], exec_type: str | None, prior: str | None) -> str | None:
    if rec["kind"] == "RESPONSE":  # refusals were the HTTP caller's answer; no event
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
        self._queues: dict[str, deque[tuple[dict[str, Any], int, int]]] = {}

    def execution(self, exec_id: str, exec_type: str) -> None:
        self._exec_types.put(exec_id, exec_type)

    def event(self, rec: dict[str, Any], at_ms: int, now_ms: int) -> None:
        if rec["event_id"] in self._seen or not rec.get("trade_id"):
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
                if needs_report(rec) and exec_type is None and now_ms < deadline:
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
        trade_id, status = rec["trade_id"], rec["status"]
        event = event_for(rec, exec_type, self._prior.get(trade_id))
        if event is None:
            return None
        self._prior.put(trade_id, status)
        cum_qty = rec["cum_qty"] if rec["kind"] == "UPDATE" else None
        return Update(rec["trader_id"], trade_id, event, status, cum_qty, rec["last_qty"],
                      rec["last_price"], exec_id, at_ms)
