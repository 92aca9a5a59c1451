"""A minimal exchange: orders that cross the reference price fill at once, others rest.

Pure (no Kafka): `on_order` turns one order command into execution reports. Exec ids are
derived from the order id, so a re-delivered order yields the same reports, which the
worker ignores.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from brokerage.domain.events import ExecutionReport, OrderCommand
from brokerage.domain.types import ExecType, OrderAction, OrderType, Side

Rep = ExecutionReport


def _report(o: OrderCommand, n: int, kind: ExecType, qty: int, price: int, text: str) -> Rep:
    return ExecutionReport(f"{o.order_id}:{n}", o.trader_id, o.trade_id, kind, o.version,
                           qty, price, text)


@dataclass
class MiniExchange:
    reference: dict[str, int]  # symbol -> price in minor units
    resting: dict[str, OrderCommand] = field(default_factory=dict)  # trade_id -> live order
    seen: set[str] = field(default_factory=set)  # order ids handled

    def fill_price(self, o: OrderCommand) -> int | None:
        ref = self.reference.get(o.symbol)
        if ref is None:
            return None
        if o.order_type is OrderType.MARKET or o.limit_price is None:
            return ref
        crosses = o.limit_price >= ref if o.side is Side.BUY else o.limit_price <= ref
        return ref if crosses else None

    def on_order(self, o: OrderCommand) -> list[ExecutionReport]:
        if o.order_id in self.seen:
            return []
        self.seen.add(o.order_id)

        def report(n: int, kind: ExecType, qty: int = 0, price: int = 0, text: str = "") -> Rep:
            return _report(o, n, kind, qty, price, text)

        live = self.resting.get(o.trade_id)
        if o.action is OrderAction.CANCEL:
            if live is None:
                return [report(0, ExecType.CANCEL_REJECTED, text="not open")]
            del self.resting[o.trade_id]
            return [report(0, ExecType.CANCELED)]
        if o.action is OrderAction.REPLACE:
            if live is None:
                return [report(0, ExecType.REPLACE_REJECTED, text="not open")]
            out = [report(0, ExecType.REPLACED)]
            return out + self._match(o, report, first=1)
        return [report(0, ExecType.NEW)] + self._match(o, report, first=1)

    def _match(self, o: OrderCommand, report: Callable[..., Rep], first: int) -> list[Rep]:
        price = self.fill_price(o)
        if price is None:
            if o.order_type is OrderType.MARKET or o.time_in_force.value in ("IOC", "FOK"):
                self.resting.pop(o.trade_id, None)
                return [report(first, ExecType.EXPIRED, text="no liquidity")]
            self.resting[o.trade_id] = o
            return []
        self.resting.pop(o.trade_id, None)
        return [report(first, ExecType.TRADE, o.quantity, price)]
