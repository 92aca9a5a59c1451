"""One trader's state: cash, holdings, trades and the ids already processed.

This is the table value. It is replaced, never mutated in place, by `apply`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .events import Response
from .records import evolve
from .types import OrderType, Side, TimeInForce, TradeStatus

# Bounded memory per trader, documented in README: a duplicate older than these windows
# is no longer recognised as one (requests) or is re-applied safely only if its trade is gone.
MAX_REMEMBERED_REQUESTS = 500
MAX_REMEMBERED_EXECUTIONS = 2000
MAX_CLOSED_TRADES = 50
MAX_HISTORY = 16  # status changes (and replaced versions) kept per trade


@dataclass(frozen=True, slots=True)
class Change:
    """One step in a trade's life: when, the status after it, and what caused it."""

    at_ms: int
    status: TradeStatus
    cause: str  # a request id, or "exec:<exec_id>"


@dataclass(frozen=True, slots=True)
class Fill:
    exec_id: str
    quantity: int
    price: int
    fee: int


@dataclass(frozen=True, slots=True)
class Superseded:
    """A version of a trade that a confirmed replace superseded: its terms and identity, so
    readers (the Alpaca facade) can show the order as it was. No rule reads it."""

    order_id: str  # its client order id at the exchange
    request_id: str  # the request that made it (the new trade's, or an amend's)
    created_ms: int
    quantity: int
    limit_price: int | None
    time_in_force: TimeInForce
    cum_qty: int  # filled when it was replaced
    replaced_ms: int
    replaced_by: str  # the amend's request id, which made the next version


@dataclass(frozen=True, slots=True)
class Trade:
    trade_id: str
    request_id: str
    side: Side
    symbol: str
    order_type: OrderType
    time_in_force: TimeInForce
    quantity: int
    limit_price: int | None  # None for MARKET
    block_price: int  # the price the block is computed at (limit, or the market collar)
    status: TradeStatus = TradeStatus.PENDING_NEW
    version: int = 0  # bumped by each confirmed replace
    cum_qty: int = 0
    cum_notional: int = 0
    fees: int = 0
    blocked_cash: int = 0
    blocked_shares: int = 0
    prior_status: TradeStatus | None = None  # restored when a cancel/replace is refused
    change_request_id: str | None = None  # the amend/cancel now pending at the exchange
    pending_qty: int | None = None  # the replace awaiting the exchange
    pending_price: int | None = None
    fills: tuple[Fill, ...] = ()
    order_id: str = ""  # the live order's client order id at the exchange
    changes: int = 0  # amend/cancel requests accepted so far; names their order ids
    created_ms: int = 0
    updated_ms: int = 0
    history: tuple[Change, ...] = ()
    pending_time_in_force: TimeInForce | None = None  # the replace awaiting the exchange
    superseded: tuple[Superseded, ...] = ()  # earlier versions, oldest first (bounded)

    def stamped(self, at_ms: int, cause: str) -> Trade:
        """This trade with its current status recorded in the history."""
        step = Change(at_ms, self.status, cause)
        return evolve(self, updated_ms=at_ms, history=(*self.history, step)[-MAX_HISTORY:])

    @property
    def remaining(self) -> int:
        return self.quantity - self.cum_qty


@dataclass(frozen=True, slots=True)
class Position:
    available: int = 0
    blocked: int = 0


@dataclass(frozen=True, slots=True)
class Totals:
    """Running sums the conservation checks and statements rely on."""

    deposited: int = 0
    withdrawn: int = 0
    bought_notional: int = 0
    sold_notional: int = 0
    fees: int = 0


@dataclass(frozen=True, slots=True)
class ShareTotals:
    deposited: int = 0
    withdrawn: int = 0
    bought: int = 0
    sold: int = 0


@dataclass(frozen=True, slots=True)
class ProcessedRequest:
    fingerprint: str
    response: Response


@dataclass(slots=True)
class TraderState:
    trader_id: str
    cash_available: int = 0
    cash_blocked: int = 0
    positions: dict[str, Position] = field(default_factory=dict)
    trades: dict[str, Trade] = field(default_factory=dict)
    totals: Totals = Totals()
    share_totals: dict[str, ShareTotals] = field(default_factory=dict)
    requests: dict[str, ProcessedRequest] = field(default_factory=dict)
    exec_ids: dict[str, None] = field(default_factory=dict)
    days_closed: tuple[str, ...] = ()

    def copy(self) -> TraderState:
        """A copy whose containers can be changed without touching the original."""
        return evolve(
            self,
            positions=dict(self.positions),
            trades=dict(self.trades),
            share_totals=dict(self.share_totals),
            requests=dict(self.requests),
            exec_ids=dict(self.exec_ids),
        )

    def position(self, symbol: str) -> Position:
        return self.positions.get(symbol, Position())
