"""Blocking and releasing cash and shares. Every change to a trade's block goes through here,
so the trader's blocked totals always equal the sum over open trades."""

from __future__ import annotations

from .records import evolve
from .refdata import RefData
from .state import Position, ShareTotals, Trade, TraderState
from .types import Side


def required_block(trade: Trade, refdata: RefData, qty: int, price: int) -> int:
    """What an open trade must hold to cover its worst case at (total qty, price).

    A buy holds the remaining notional plus the extra fee it could cost; a sell holds
    its remaining shares. Fees are cumulative, so the extra is F(done + rest) - F(done).
    """
    rest = max(0, qty - trade.cum_qty)
    if trade.side is Side.SELL:
        return rest
    worst = rest * price
    return worst + refdata.fee(trade.cum_notional + worst) - refdata.fee(trade.cum_notional)


def target_block(trade: Trade, refdata: RefData) -> int:
    """The block for a trade in its current status: nothing once terminal; while a replace
    is pending, the larger of the old and new terms (a lower block waits for the exchange)."""
    if trade.status.terminal:
        return 0
    block = required_block(trade, refdata, trade.quantity, trade.block_price)
    if trade.pending_qty is not None or trade.pending_price is not None:
        new_qty = trade.pending_qty if trade.pending_qty is not None else trade.quantity
        new_price = trade.pending_price if trade.pending_price is not None else trade.block_price
        # Until the exchange answers, fills may come on either order (executions._fill accepts
        # up to the larger quantity at up to the higher price), and fills on the old order can
        # be followed by the rest of the new one. The larger of the two blocks is not enough
        # (10 @ 200 amended to 20 @ 100: 10 filled at 200, then 10 more at 100), so hold the
        # larger quantity at the higher price; fills then only ever release.
        block = required_block(
            trade, refdata, max(trade.quantity, new_qty), max(trade.block_price, new_price)
        )
    return block


def held(trade: Trade) -> int:
    return trade.blocked_shares if trade.side is Side.SELL else trade.blocked_cash


def available_for(state: TraderState, trade: Trade) -> int:
    if trade.side is Side.SELL:
        return state.position(trade.symbol).available
    return state.cash_available


def rebalance(state: TraderState, trade: Trade, target: int) -> Trade:
    """Move the trade's block to `target`, taking from or returning to available.

    The caller checks that an increase is affordable; the state is changed in place
    (it is already a private copy inside `apply`).
    """
    delta = target - held(trade)
    if trade.side is Side.SELL:
        pos = state.position(trade.symbol)
        state.positions[trade.symbol] = Position(pos.available - delta, pos.blocked + delta)
        return evolve(trade, blocked_shares=target)
    state.cash_available -= delta
    state.cash_blocked += delta
    return evolve(trade, blocked_cash=target)


def settle_fill(state: TraderState, trade: Trade, refdata: RefData, qty: int, price: int) -> Trade:
    """Apply one fill: spend from the block (buy) or deliver shares for cash (sell)."""
    notional = qty * price
    fee = refdata.fee(trade.cum_notional + notional) - refdata.fee(trade.cum_notional)
    totals = state.totals
    shares = state.share_totals.get(trade.symbol)
    pos = state.position(trade.symbol)
    if trade.side is Side.BUY:
        cost = notional + fee
        state.cash_blocked -= cost
        state.positions[trade.symbol] = Position(pos.available + qty, pos.blocked)
        trade = evolve(trade, blocked_cash=trade.blocked_cash - cost)
        state.totals = evolve(totals, bought_notional=totals.bought_notional + notional)
        state.share_totals[trade.symbol] = _shares(shares, bought=qty)
    else:
        state.positions[trade.symbol] = Position(pos.available, pos.blocked - qty)
        state.cash_available += notional - fee
        trade = evolve(trade, blocked_shares=trade.blocked_shares - qty)
        state.totals = evolve(totals, sold_notional=totals.sold_notional + notional)
        state.share_totals[trade.symbol] = _shares(shares, sold=qty)
    state.totals = evolve(state.totals, fees=state.totals.fees + fee)
    return evolve(
        trade,
        cum_qty=trade.cum_qty + qty,
        cum_notional=trade.cum_notional + notional,
        fees=trade.fees + fee,
    )


def _shares(t: ShareTotals | None, bought: int = 0, sold: int = 0) -> ShareTotals:
    base = t or ShareTotals()
    return evolve(base, bought=base.bought + bought, sold=base.sold + sold)
