"""Enumerations shared by the rules, the codec and the API. Pure: no I/O."""

from __future__ import annotations

from enum import StrEnum


class Side(StrEnum):
    BUY = "BUY"
    SELL = "SELL"


class OrderType(StrEnum):
    MARKET = "MARKET"
    LIMIT = "LIMIT"


class TimeInForce(StrEnum):
    DAY = "DAY"
    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"


RESTING_TIFS = frozenset({TimeInForce.DAY, TimeInForce.GTC})  # may rest in the book


class TradeStatus(StrEnum):
    PENDING_NEW = "PENDING_NEW"
    NEW = "NEW"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    PENDING_CANCEL = "PENDING_CANCEL"
    CANCELED = "CANCELED"
    PENDING_REPLACE = "PENDING_REPLACE"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL

    @property
    def pending_change(self) -> bool:
        return self in (TradeStatus.PENDING_CANCEL, TradeStatus.PENDING_REPLACE)


TERMINAL = frozenset(
    {TradeStatus.FILLED, TradeStatus.CANCELED, TradeStatus.REJECTED, TradeStatus.EXPIRED}
)


class RejectReason(StrEnum):
    MALFORMED = "MALFORMED"
    UNKNOWN_SYMBOL = "UNKNOWN_SYMBOL"
    INVALID_QUANTITY = "INVALID_QUANTITY"
    INVALID_PRICE = "INVALID_PRICE"
    INVALID_AMOUNT = "INVALID_AMOUNT"
    NOTIONAL_LIMIT = "NOTIONAL_LIMIT"
    NO_REFERENCE_PRICE = "NO_REFERENCE_PRICE"
    INSUFFICIENT_FUNDS = "INSUFFICIENT_FUNDS"
    INSUFFICIENT_SHARES = "INSUFFICIENT_SHARES"
    UNKNOWN_TRADE = "UNKNOWN_TRADE"
    TRADE_NOT_OPEN = "TRADE_NOT_OPEN"
    CHANGE_PENDING = "CHANGE_PENDING"
    DUPLICATE_REQUEST = "DUPLICATE_REQUEST"
    TOO_MANY_OPEN_TRADES = "TOO_MANY_OPEN_TRADES"
    INVALID_TIME_IN_FORCE = "INVALID_TIME_IN_FORCE"
    EXCHANGE_REJECTED = "EXCHANGE_REJECTED"


class ExecType(StrEnum):
    """Execution report kinds, after FIX ExecType."""

    NEW = "NEW"  # the exchange accepted the order
    TRADE = "TRADE"  # a (partial) fill
    CANCELED = "CANCELED"
    REPLACED = "REPLACED"
    REJECTED = "REJECTED"  # the new order was refused
    CANCEL_REJECTED = "CANCEL_REJECTED"
    REPLACE_REJECTED = "REPLACE_REJECTED"
    EXPIRED = "EXPIRED"


class OrderAction(StrEnum):
    NEW = "NEW"
    CANCEL = "CANCEL"
    REPLACE = "REPLACE"


class AnomalyReason(StrEnum):
    ILLEGAL_TRANSITION = "ILLEGAL_TRANSITION"
    UNKNOWN_TRADE = "UNKNOWN_TRADE"
    FILL_OUTSIDE_LIMIT = "FILL_OUTSIDE_LIMIT"
    OVERFILL = "OVERFILL"
    STALE_VERSION = "STALE_VERSION"
