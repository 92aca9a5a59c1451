"""A trade as the rules keep it: its terms, fills and history (frozen records, shared between
successive states), and `Trades`, a trader's trades by id with its closed ones counted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .records import evolve, fast_init
from .types import OrderType, Side, TimeInForce, TradeStatus

MAX_HISTORY = 16  # status changes (and replaced versions) kept per trade


@fast_init
@dataclass(frozen=True, slots=True)
class Change:
    """One step in a trade's life: when, the status after it, and what caused it."""

    at_ms: int
    status: TradeStatus
    cause: str  # a request id, or "exec:<exec_id>"


@fast_init
@dataclass(frozen=True, slots=True)
class Fill:
    exec_id: str
    quantity: int
    price: int
    fee: int


@fast_init
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


@fast_init
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


class Trades(dict[str, Trade]):
    """A trader's trades by id, counting the closed (terminal) ones as they are set and
    deleted: the open-trade limit and the eviction of closed trades need the count on every
    event, and a busy trader has up to 1,000 open trades to scan. Only `[]=` and `del`
    change it (the rules use nothing else); the other mutators are refused.

    A copy also notes which ids were set or deleted since it was made (`changed_since`),
    so that storing a batch's state costs what the batch changed, not what the trader has
    (codec.state_change.diff)."""

    __slots__ = ("closed", "_token", "_base", "_touched", "_moved")

    def __init__(self, items: Any = ()) -> None:
        super().__init__(items)
        self.closed = sum(1 for t in self.values() if t.status.terminal)
        self._token: object = object()  # who I am, for copies made of me
        self._base: object = None  # the token of the Trades I was copied from
        self._touched: dict[str, None] = {}  # ids set or deleted since, first touch first
        self._moved = False  # an id deleted and set again: the order of ids changed

    def __setitem__(self, key: str, trade: Trade) -> None:
        old = dict.get(self, key)
        self.closed += trade.status.terminal - (old is not None and old.status.terminal)
        if old is None and key in self._touched:
            self._moved = True
        self._touched[key] = None
        dict.__setitem__(self, key, trade)

    def __delitem__(self, key: str) -> None:
        self.closed -= dict.__getitem__(self, key).status.terminal
        self._touched[key] = None
        dict.__delitem__(self, key)

    def copy(self) -> Trades:
        new = Trades.__new__(Trades)
        dict.update(new, self)
        new.closed = self.closed
        new._token, new._base, new._touched, new._moved = object(), self._token, {}, False
        return new

    def changed_since(self, base: dict[str, Trade]) -> list[str] | None:
        """The ids set or deleted since this was copied from `base`, first touch first;
        None if it was not copied from `base` or an id moved (was deleted and set again)."""
        if self._moved or not isinstance(base, Trades) or self._base is not base._token:
            return None
        return list(self._touched)

    def __reduce__(self) -> Any:  # copy, deepcopy, pickle: rebuilt and recounted
        return Trades, (dict(self),)

    def _refused(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("Trades: only [] and del keep the closed count")

    update = setdefault = pop = popitem = clear = __ior__ = _refused


def closed_count(trades: dict[str, Trade]) -> int:
    if isinstance(trades, Trades):
        return trades.closed
    return sum(1 for t in trades.values() if t.status.terminal)  # a plain dict (tests, tools)
