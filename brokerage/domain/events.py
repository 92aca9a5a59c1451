"""Inputs to the rules (requests and exchange reports) and their outputs. Plain data."""

from __future__ import annotations

from dataclasses import dataclass, field

from .records import fast_init
from .types import (
    AnomalyReason,
    ExecType,
    OrderAction,
    OrderType,
    RejectReason,
    Side,
    TimeInForce,
    TradeStatus,
)

# ---- requests from traders (the trade-request topic) ----


@fast_init
@dataclass(frozen=True, slots=True)
class NewTrade:
    request_id: str  # the client's idempotency key
    trader_id: str
    side: Side
    symbol: str
    quantity: int
    order_type: OrderType = OrderType.LIMIT
    limit_price: int | None = None  # minor units; required for LIMIT
    time_in_force: TimeInForce = TimeInForce.DAY
    at_ms: int = field(default=0, compare=False)  # input time (Kafka timestamp); not identity


@fast_init
@dataclass(frozen=True, slots=True)
class AmendTrade:
    request_id: str
    trader_id: str
    trade_id: str
    quantity: int | None = None  # new total quantity
    limit_price: int | None = None
    at_ms: int = field(default=0, compare=False)  # input time (Kafka timestamp); not identity
    # Kept out of repr: `core.fingerprint` appends it only when set, so amends booked before
    # the field existed keep their fingerprint (a redelivery is still a retry).
    time_in_force: TimeInForce | None = field(default=None, repr=False)


@fast_init
@dataclass(frozen=True, slots=True)
class CancelTrade:
    request_id: str
    trader_id: str
    trade_id: str
    at_ms: int = field(default=0, compare=False)  # input time (Kafka timestamp); not identity


@fast_init
@dataclass(frozen=True, slots=True)
class Deposit:
    request_id: str
    trader_id: str
    amount: int  # cash in minor units, or shares when symbol is set
    symbol: str | None = None
    at_ms: int = field(default=0, compare=False)  # input time (Kafka timestamp); not identity


@fast_init
@dataclass(frozen=True, slots=True)
class Withdraw:
    request_id: str
    trader_id: str
    amount: int
    symbol: str | None = None
    at_ms: int = field(default=0, compare=False)  # input time (Kafka timestamp); not identity


Request = NewTrade | AmendTrade | CancelTrade | Deposit | Withdraw

# ---- from the exchange connector (the executions topic) and the session calendar ----


@fast_init
@dataclass(frozen=True, slots=True)
class ExecutionReport:
    exec_id: str  # unique per exchange report; the dedup key
    trader_id: str
    trade_id: str
    exec_type: ExecType
    order_version: int = 0
    last_qty: int = 0
    last_price: int = 0
    text: str = ""
    at_ms: int = field(default=0, compare=False)  # input time (Kafka timestamp); not identity


@fast_init
@dataclass(frozen=True, slots=True)
class EndOfDay:
    """The trading day is over: the trader's open DAY trades expire."""

    trader_id: str
    trading_day: str  # ISO date; the dedup key
    at_ms: int = field(default=0, compare=False)


Event = Request | ExecutionReport | EndOfDay

# ---- outputs ----


@fast_init
@dataclass(frozen=True, slots=True)
class Response:
    """The answer to one request: accepted (with the trade) or rejected with a reason."""

    request_id: str
    trader_id: str
    accepted: bool
    trade_id: str | None = None
    status: TradeStatus | None = None
    reason: RejectReason | None = None
    message: str = ""


@fast_init
@dataclass(frozen=True, slots=True)
class OrderCommand:
    """What the exchange connector must do. order_id is stable per (trade, version)."""

    action: OrderAction
    order_id: str
    trade_id: str
    trader_id: str
    version: int
    symbol: str
    side: Side
    quantity: int
    order_type: OrderType
    time_in_force: TimeInForce
    limit_price: int | None  # for MARKET: the protection collar
    target_order_id: str | None = None  # CANCEL/REPLACE: the live order they refer to
    # REPLACE only: set when the replace changes the time in force (time_in_force says the
    # same); None keeps the exchange call exactly what it was before TIF changes existed.
    new_time_in_force: TimeInForce | None = None


@fast_init
@dataclass(frozen=True, slots=True)
class TradeUpdate:
    """A trade changed because of the exchange (ack, fill, cancel, expiry...)."""

    trader_id: str
    trade_id: str
    status: TradeStatus
    exec_id: str
    cum_qty: int
    last_qty: int = 0
    last_price: int = 0
    fee: int = 0
    order_id: str = ""  # the live exchange order after the update: names its version


@fast_init
@dataclass(frozen=True, slots=True)
class Anomaly:
    """An exchange report the rules refused; the state is unchanged. For alerts and audit."""

    trader_id: str
    reason: AnomalyReason
    detail: str
    exec_id: str = ""


Output = Response | OrderCommand | TradeUpdate | Anomaly
