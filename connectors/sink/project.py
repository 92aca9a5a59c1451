"""The rows one input adds to the reporting store: pure, from the states before and after.

Every row's key is derived from the input's origin (its source topic, partition and offset,
which the sequencer carries in headers and which replay and redelivery keep), so writing the
same input twice changes nothing."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from brokerage.domain.events import EndOfDay, Event, ExecutionReport, Output, Response, TradeUpdate
from brokerage.domain.executions import on_execution
from brokerage.domain.refdata import RefData
from brokerage.domain.state import Trade, TraderState
from brokerage.domain.types import TradeStatus
from brokerage.reporting.queries import moment as at
from brokerage.service.messages import Source

from .ledger import entries


@dataclass
class Rows:
    """What a batch writes; trades keep only their last version per trade."""

    trades: dict[tuple[str, str], tuple[Any, ...]] = field(default_factory=dict)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    fills: list[tuple[Any, ...]] = field(default_factory=list)
    ledger: list[tuple[Any, ...]] = field(default_factory=list)

    def count(self) -> int:
        return len(self.trades) + len(self.events) + len(self.fills) + len(self.ledger)


def event_key(src: Source) -> str:
    return f"{src.topic}:{src.partition}:{src.offset}"


def project(rows: Rows, old: TraderState, new: TraderState, event: Event,
            outputs: list[Output], src: Source, partition: int, offset: int,
            refdata: RefData) -> None:
    """Add the rows for `event` (at trader-inputs `partition`/`offset`) to `rows`."""
    trader, key, ms = new.trader_id, event_key(src), event.at_ms
    touched = _touched(old, new, event, outputs, refdata)
    for trade in touched.values():
        rows.trades[(trader, trade.trade_id)] = _trade_row(trader, trade, offset)
    for i, o in enumerate(outputs):
        if isinstance(o, Response):
            t = touched.get(o.trade_id or "") or old.trades.get(o.trade_id or "")
            symbol = t.symbol if t else getattr(event, "symbol", None)
            rows.events.append((
                trader, f"{key}#{i}", f"resp:{o.request_id}", "RESPONSE", type(event).__name__,
                o.request_id, o.trade_id, symbol, o.accepted, o.status and o.status.value,
                o.reason and o.reason.value, o.message, 0, 0, 0, 0, at(ms), ms, partition,
                offset))
        elif isinstance(o, TradeUpdate):
            t = touched[o.trade_id]
            rows.events.append((
                trader, f"{key}#{i}", f"exec:{o.exec_id}", "UPDATE", None, None, o.trade_id,
                t.symbol, True, o.status.value, None, "", o.cum_qty, o.last_qty, o.last_price,
                o.fee, at(ms), ms, partition, offset))
            if o.last_qty > 0:
                rows.fills.append((trader, o.exec_id, o.trade_id, t.side.value, t.symbol,
                                   o.last_qty, o.last_price, o.fee, at(ms), ms))
    cause = _cause(event)
    for e in entries(old, new, event, outputs, touched):
        rows.ledger.append((
            trader, f"{key}:{e.account}:{e.symbol}:{e.bucket}:{e.kind}", e.account, e.symbol,
            e.bucket, e.kind, e.amount, cause, e.trade_id, at(ms), ms))


def _cause(event: Event) -> str:
    if isinstance(event, ExecutionReport):
        return f"exec:{event.exec_id}"
    if isinstance(event, EndOfDay):
        return f"eod:{event.trading_day}"
    return event.request_id


def _touched(old: TraderState, new: TraderState, event: Event, outputs: list[Output],
             refdata: RefData) -> dict[str, Trade]:
    """The trades the event changed, as it left them: a trade it closed may already be evicted
    from `new` (the state keeps the last closed trades only), so that one is recomputed."""
    ids = [o.trade_id for o in outputs if isinstance(o, Response | TradeUpdate) and o.trade_id]
    out: dict[str, Trade] = {}
    for tid in dict.fromkeys(ids):
        now = new.trades.get(tid)
        if now is None and tid in old.trades:
            now = _before_eviction(old, event, refdata, tid)
        if now is not None and now is not old.trades.get(tid):
            out[tid] = now
    return out


def _before_eviction(old: TraderState, event: Event, refdata: RefData, tid: str) -> Trade:
    if isinstance(event, ExecutionReport):
        scratch = old.copy()
        on_execution(scratch, event, refdata)  # what core.apply does before evicting
        return scratch.trades[tid]
    # End of day: the one other event that closes trades (see core._end_of_day).
    return replace(old.trades[tid], status=TradeStatus.EXPIRED, blocked_cash=0,
                   blocked_shares=0, updated_ms=event.at_ms)


def _trade_row(trader: str, t: Trade, offset: int) -> tuple[Any, ...]:
    return (trader, t.trade_id, t.request_id, t.side.value, t.symbol, t.order_type.value,
            t.time_in_force.value, t.quantity, t.limit_price, t.status.value, t.cum_qty,
            t.cum_notional, t.fees, t.blocked_cash, t.blocked_shares, at(t.created_ms),
            at(t.updated_ms), t.created_ms, t.updated_ms, offset)
