"""Which trace each trade's orders came with, so the exchange's reports for that trade go back
to the workers in the same trace. In memory and bounded: after a connector restart, reports of
older trades start a trace of their own, which costs nothing but the link."""

from __future__ import annotations

import threading

from brokerage.observability.trace import TraceContext


class TradeTraces:
    def __init__(self, size: int = 100_000) -> None:
        self.size = size
        self._by_trade: dict[str, TraceContext] = {}
        self._lock = threading.Lock()  # the order pump writes, the execution stream reads

    def remember(self, trade_id: str, ctx: TraceContext) -> None:
        with self._lock:
            self._by_trade.pop(trade_id, None)
            if len(self._by_trade) >= self.size:
                self._by_trade.pop(next(iter(self._by_trade)))
            self._by_trade[trade_id] = ctx

    def of(self, trade_id: str) -> TraceContext | None:
        with self._lock:
            return self._by_trade.get(trade_id)


TRACES = TradeTraces()  # one connector per process
