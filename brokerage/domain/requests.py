"""Handling of trader requests on a private copy of the state. Called only from `core.apply`."""

from __future__ import annotations

import hashlib

from . import validation as v
from .events import (
    AmendTrade,
    CancelTrade,
    Deposit,
    NewTrade,
    OrderCommand,
    Output,
    Request,
    Response,
    Withdraw,
)
from .ledger import rebalance, required_block, target_block
from .records import evolve
from .refdata import RefData
from .state import Position, ShareTotals, Trade, TraderState, closed_count
from .types import OrderAction, OrderType, RejectReason, TradeStatus


def trade_id_for(trader_id: str, request_id: str) -> str:
    """Deterministic, and it names its trader so any reader can find the owning partition."""
    digest = hashlib.blake2b(f"{trader_id}\0{request_id}".encode(), digest_size=8).hexdigest()
    return f"{trader_id}.{digest}"


def trader_of(trade_id: str) -> str:
    return trade_id.rsplit(".", 1)[0]


def reject(
    req: Request, reason: RejectReason, message: str, trade_id: str | None = None
) -> Response:
    return Response(req.request_id, req.trader_id, False, trade_id, None, reason, message)


def first_order_id(trade_id: str) -> str:
    return f"{trade_id}:0"


def change_order_id(trade: Trade, action: OrderAction) -> str:
    """Unique per change request (the counter), so a refused cancel or replace can be retried
    under a new id, and deterministic, so a resend after a crash keeps the same one."""
    return f"{trade.trade_id}:{'x' if action is OrderAction.CANCEL else 'r'}{trade.changes}"


def order_for(trade: Trade, trader_id: str) -> OrderCommand | None:
    """The exchange command a trade's pending status calls for (re-derivable after a crash)."""
    qty, price, target = trade.quantity, trade.block_price, None
    tif, new_tif = trade.time_in_force, None
    if trade.status is TradeStatus.PENDING_NEW:
        action, version, order_id = OrderAction.NEW, trade.version, trade.order_id
    elif trade.status is TradeStatus.PENDING_CANCEL:
        action, version, target = OrderAction.CANCEL, trade.version, trade.order_id
        order_id = change_order_id(trade, action)
    elif trade.status is TradeStatus.PENDING_REPLACE:
        action, version, target = OrderAction.REPLACE, trade.version + 1, trade.order_id
        order_id = change_order_id(trade, action)
        qty = trade.pending_qty if trade.pending_qty is not None else trade.quantity
        price = trade.pending_price if trade.pending_price is not None else trade.block_price
        new_tif = trade.pending_time_in_force
        tif = new_tif or tif
    else:
        return None
    return OrderCommand(
        action, order_id, trade.trade_id, trader_id, version, trade.symbol, trade.side, qty,
        trade.order_type, tif, price, target, new_tif,
    )


def on_new(state: TraderState, req: NewTrade, refdata: RefData) -> list[Output]:
    trade_id = trade_id_for(req.trader_id, req.request_id)
    if trade_id in state.trades:  # the request id was reused after it left the window
        return [reject(req, RejectReason.DUPLICATE_REQUEST, "request id already booked", trade_id)]
    if problem := v.check_new(req, refdata):
        return [reject(req, *problem)]
    if len(state.trades) - closed_count(state.trades) >= refdata.max_open_trades:
        return [reject(req, RejectReason.TOO_MANY_OPEN_TRADES,
                       f"at most {refdata.max_open_trades} open trades")]
    price = req.limit_price
    if req.order_type is OrderType.MARKET:
        price = v.collar_price(refdata, req.symbol, req.side)
    assert price is not None  # check_new guarantees it
    if problem := v.check_notional(refdata, req.quantity, price):
        return [reject(req, *problem)]
    trade = Trade(
        trade_id, req.request_id, req.side, req.symbol, req.order_type, req.time_in_force,
        req.quantity, req.limit_price, price, order_id=first_order_id(trade_id),
        created_ms=req.at_ms,
    ).stamped(req.at_ms, req.request_id)
    target = required_block(trade, refdata, trade.quantity, trade.block_price)
    if problem := v.check_affordable(state, trade, target):
        return [reject(req, *problem)]
    state.trades[trade_id] = rebalance(state, trade, target)
    order = order_for(state.trades[trade_id], req.trader_id)
    assert order is not None
    ok = Response(req.request_id, req.trader_id, True, trade_id, TradeStatus.PENDING_NEW)
    return [ok, order]


def on_change(state: TraderState, req: AmendTrade | CancelTrade, refdata: RefData) -> list[Output]:
    trade = state.trades.get(req.trade_id)
    if trade is None or trader_of(req.trade_id) != req.trader_id:
        return [reject(req, RejectReason.UNKNOWN_TRADE, f"no trade {req.trade_id}")]
    if isinstance(req, CancelTrade):
        if trade.status.terminal:
            return [reject(req, RejectReason.TRADE_NOT_OPEN, f"trade is {trade.status}")]
        if trade.status.pending_change:
            return [reject(req, RejectReason.CHANGE_PENDING, "a cancel or amend is pending")]
        trade = evolve(trade, status=TradeStatus.PENDING_CANCEL, prior_status=trade.status)
    else:
        if problem := v.check_amend(req, trade, refdata):
            return [reject(req, *problem, trade_id=trade.trade_id)]
        trade = evolve(
            trade, status=TradeStatus.PENDING_REPLACE, prior_status=trade.status,
            pending_qty=req.quantity if req.quantity is not None else trade.quantity,
            pending_price=req.limit_price if req.limit_price is not None else trade.block_price,
            pending_time_in_force=(
                req.time_in_force if req.time_in_force not in (None, trade.time_in_force)
                else None),
        )
        target = target_block(trade, refdata)
        if problem := v.check_affordable(state, trade, target):
            return [reject(req, *problem, trade_id=trade.trade_id)]
        trade = rebalance(state, trade, target)
    trade = evolve(trade, change_request_id=req.request_id, changes=trade.changes + 1)
    trade = trade.stamped(req.at_ms, req.request_id)
    state.trades[trade.trade_id] = trade
    ok = Response(req.request_id, req.trader_id, True, trade.trade_id, trade.status)
    order = order_for(trade, req.trader_id)
    assert order is not None
    return [ok, order]


def on_wallet(state: TraderState, req: Deposit | Withdraw, refdata: RefData) -> list[Output]:
    if problem := v.check_wallet(req, state, refdata):
        return [reject(req, *problem)]
    sign = 1 if isinstance(req, Deposit) else -1
    if req.symbol is None:
        state.cash_available += sign * req.amount
        t = state.totals
        state.totals = (
            evolve(t, deposited=t.deposited + req.amount) if sign > 0
            else evolve(t, withdrawn=t.withdrawn + req.amount)
        )
    else:
        pos = state.position(req.symbol)
        state.positions[req.symbol] = Position(pos.available + sign * req.amount, pos.blocked)
        s = state.share_totals.get(req.symbol) or ShareTotals()
        state.share_totals[req.symbol] = (
            evolve(s, deposited=s.deposited + req.amount) if sign > 0
            else evolve(s, withdrawn=s.withdrawn + req.amount)
        )
    return [Response(req.request_id, req.trader_id, True)]
