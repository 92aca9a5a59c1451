"""Checks that need only the request, the reference data and the trader's state.

Each returns None when the request passes, or (reason, message).
"""

from __future__ import annotations

from .events import AmendTrade, Deposit, NewTrade, Withdraw
from .ledger import available_for, held
from .refdata import RefData
from .state import Trade, TraderState
from .types import RESTING_TIFS, OrderType, RejectReason, Side, TimeInForce

Problem = tuple[RejectReason, str] | None


def collar_price(refdata: RefData, symbol: str, side: Side) -> int | None:
    """The protection price a market order blocks at and is sent with."""
    inst = refdata.instruments[symbol]
    ref = inst.reference_price_minor
    if ref is None:
        return None
    tick = inst.tick_minor
    if side is Side.BUY:
        raw = -(-ref * (10_000 + refdata.market_collar_bps) // 10_000)
        return -(-raw // tick) * tick
    raw = ref * (10_000 - refdata.market_collar_bps) // 10_000
    return max(tick, raw // tick * tick)


def check_quantity(refdata: RefData, symbol: str, qty: int) -> Problem:
    lot = refdata.instruments[symbol].lot
    if qty <= 0 or qty > refdata.max_quantity:
        return RejectReason.INVALID_QUANTITY, f"quantity must be 1..{refdata.max_quantity}"
    if qty % lot:
        return RejectReason.INVALID_QUANTITY, f"quantity must be a multiple of the lot ({lot})"
    return None


def check_price(refdata: RefData, symbol: str, price: int) -> Problem:
    tick = refdata.instruments[symbol].tick_minor
    if price <= 0 or price > refdata.max_price_minor:
        return RejectReason.INVALID_PRICE, f"price must be 1..{refdata.max_price_minor}"
    if price % tick:
        return RejectReason.INVALID_PRICE, f"price must be a multiple of the tick ({tick})"
    return None


def check_notional(refdata: RefData, qty: int, price: int) -> Problem:
    if qty * price > refdata.max_order_notional_minor:
        return RejectReason.NOTIONAL_LIMIT, (
            f"order notional {qty * price} exceeds {refdata.max_order_notional_minor}"
        )
    return None


def check_new(req: NewTrade, refdata: RefData) -> Problem:
    if req.symbol not in refdata.instruments:
        return RejectReason.UNKNOWN_SYMBOL, f"unknown symbol {req.symbol!r}"
    if problem := check_quantity(refdata, req.symbol, req.quantity):
        return problem
    if req.order_type is OrderType.MARKET:
        if req.limit_price is not None:
            return RejectReason.INVALID_PRICE, "a market order takes no limit price"
        if collar_price(refdata, req.symbol, req.side) is None:
            return RejectReason.NO_REFERENCE_PRICE, f"no reference price for {req.symbol}"
        return None
    if req.limit_price is None:
        return RejectReason.INVALID_PRICE, "a limit order needs a limit price"
    return check_price(refdata, req.symbol, req.limit_price)


def check_affordable(state: TraderState, trade: Trade, target: int) -> Problem:
    """Can the trader's available balance cover raising this trade's block to `target`?"""
    if target - held(trade) <= available_for(state, trade):
        return None
    if trade.side is Side.SELL:
        return RejectReason.INSUFFICIENT_SHARES, (
            f"needs {target} {trade.symbol}, has {state.position(trade.symbol).available}"
        )
    return RejectReason.INSUFFICIENT_FUNDS, f"needs {target}, has {state.cash_available}"


def check_amend(req: AmendTrade, trade: Trade, refdata: RefData) -> Problem:
    if trade.status.terminal:
        return RejectReason.TRADE_NOT_OPEN, f"trade is {trade.status}"
    if trade.status.pending_change:
        return RejectReason.CHANGE_PENDING, "a cancel or amend is already pending"
    if req.quantity is None and req.limit_price is None and req.time_in_force is None:
        return RejectReason.MALFORMED, "an amend needs a quantity, a limit price or a time in force"
    qty = trade.quantity if req.quantity is None else req.quantity
    if problem := check_quantity(refdata, trade.symbol, qty):
        return problem
    if qty <= trade.cum_qty:
        return RejectReason.INVALID_QUANTITY, f"{trade.cum_qty} already filled"
    price = trade.block_price
    if req.limit_price is not None:
        if trade.order_type is OrderType.MARKET:
            return RejectReason.INVALID_PRICE, "a market order takes no limit price"
        if problem := check_price(refdata, trade.symbol, req.limit_price):
            return problem
        price = req.limit_price
    tif = trade.time_in_force if req.time_in_force is None else req.time_in_force
    if problem := check_tif_change(trade, tif):
        return problem
    if qty == trade.quantity and price == trade.block_price and tif == trade.time_in_force:
        return RejectReason.MALFORMED, "the amend changes nothing"
    return check_notional(refdata, qty, price)


def check_tif_change(trade: Trade, tif: TimeInForce) -> Problem:
    """Only a resting limit order changes its time in force, and only to another resting one
    (DAY <-> GTC). An IOC/FOK or market order never rests, so there is nothing to change; and
    a resting order made IOC/FOK would be a cancel in disguise (its remainder expires at once):
    cancel it instead. The same refusal for every venue, so the rule lives here."""
    if tif == trade.time_in_force:
        return None
    if trade.order_type is OrderType.MARKET:
        return RejectReason.INVALID_TIME_IN_FORCE, "a market order's time in force cannot change"
    if trade.time_in_force not in RESTING_TIFS or tif not in RESTING_TIFS:
        return RejectReason.INVALID_TIME_IN_FORCE, (
            f"time in force {trade.time_in_force} cannot become {tif}: only DAY and GTC "
            "change into each other")
    return None


def check_wallet(req: Deposit | Withdraw, state: TraderState, refdata: RefData) -> Problem:
    limit = refdata.max_cash_amount_minor if req.symbol is None else refdata.max_quantity
    if req.amount <= 0 or req.amount > limit:
        return RejectReason.INVALID_AMOUNT, f"amount must be 1..{limit}"
    if req.symbol is not None and req.symbol not in refdata.instruments:
        return RejectReason.UNKNOWN_SYMBOL, f"unknown symbol {req.symbol!r}"
    if isinstance(req, Withdraw):
        if req.symbol is None and req.amount > state.cash_available:
            return RejectReason.INSUFFICIENT_FUNDS, f"only {state.cash_available} available"
        if req.symbol is not None and req.amount > state.position(req.symbol).available:
            return RejectReason.INSUFFICIENT_SHARES, f"only {state.position(req.symbol).available}"
    return None


