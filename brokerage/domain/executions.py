"""The order state machine, driven by the exchange's execution reports.

Only legal transitions are taken; anything else yields an Anomaly and leaves the state as it was.
"""

from __future__ import annotations

from .events import Anomaly, ExecutionReport, Output, TradeUpdate
from .ledger import rebalance, settle_fill, target_block
from .records import evolve
from .refdata import RefData
from .requests import change_order_id
from .state import MAX_HISTORY, Fill, Superseded, Trade, TraderState
from .types import AnomalyReason, ExecType, OrderAction, Side, TradeStatus

S = TradeStatus
LATE_REFUSALS = frozenset({ExecType.CANCEL_REJECTED, ExecType.REPLACE_REJECTED})
OPEN = frozenset({S.PENDING_NEW, S.NEW, S.PARTIALLY_FILLED, S.PENDING_CANCEL, S.PENDING_REPLACE})


def _working(trade: Trade) -> TradeStatus:
    """The status a trade returns to once nothing is pending."""
    return S.PARTIALLY_FILLED if trade.cum_qty else S.NEW


def _settled(trade: Trade, status: TradeStatus) -> Trade:
    return evolve(
        trade, status=status, prior_status=None, pending_qty=None, pending_price=None,
        pending_time_in_force=None, change_request_id=None,
    )


def _ack(trade: Trade, rep: ExecutionReport) -> Trade | str:
    if trade.status is S.PENDING_NEW:
        return evolve(trade, status=S.NEW)
    if trade.status.pending_change and trade.prior_status is S.PENDING_NEW:
        return evolve(trade, prior_status=S.NEW)
    return f"ack in {trade.status}"


def _fill(trade: Trade, rep: ExecutionReport) -> Trade | str:
    if trade.status not in OPEN:
        return f"fill in {trade.status}"
    max_qty = max(trade.quantity, trade.pending_qty or 0)
    if rep.last_qty <= 0 or trade.cum_qty + rep.last_qty > max_qty:
        return f"{AnomalyReason.OVERFILL}: {rep.last_qty} on {trade.cum_qty}/{max_qty}"
    prices = [trade.block_price] + ([trade.pending_price] if trade.pending_price else [])
    if rep.last_price <= 0 or (
        rep.last_price > max(prices) if trade.side is Side.BUY else rep.last_price < min(prices)
    ):
        return f"{AnomalyReason.FILL_OUTSIDE_LIMIT}: {rep.last_price} vs {prices}"
    return trade  # settled by the caller, which owns the ledger


def _confirm(trade: Trade, rep: ExecutionReport) -> Trade | str:
    t = rep.exec_type
    if t is ExecType.CANCELED or t is ExecType.EXPIRED:
        if trade.status not in OPEN:
            return f"{t} in {trade.status}"
        return _settled(trade, S.CANCELED if t is ExecType.CANCELED else S.EXPIRED)
    if t is ExecType.REJECTED:
        if S.PENDING_NEW not in (trade.status, trade.prior_status):
            return f"reject in {trade.status}"
        return _settled(trade, S.REJECTED)
    wanted = S.PENDING_CANCEL if t is ExecType.CANCEL_REJECTED else S.PENDING_REPLACE
    if trade.status is not wanted:
        return f"{t} in {trade.status}"
    if t is ExecType.REPLACED:
        trade = evolve(
            trade, quantity=trade.pending_qty or trade.quantity, version=trade.version + 1,
            order_id=change_order_id(trade, OrderAction.REPLACE),
            block_price=trade.pending_price or trade.block_price,
            limit_price=trade.pending_price if trade.limit_price is not None else None,
            time_in_force=trade.pending_time_in_force or trade.time_in_force,
            superseded=(*trade.superseded, _version_of(trade, rep))[-MAX_HISTORY:],
        )
        return _settled(trade, S.FILLED if trade.remaining <= 0 else _working(trade))
    if trade.remaining <= 0:  # filled up to the old quantity while the replace was pending
        return _settled(trade, S.FILLED)
    return _settled(trade, trade.prior_status or _working(trade))


def _version_of(trade: Trade, rep: ExecutionReport) -> Superseded:
    """The version a confirmed replace ends, as it stood (for readers; no rule uses it)."""
    last = trade.superseded[-1] if trade.superseded else None
    made_by, made_ms = (last.replaced_by, last.replaced_ms) if last else (
        trade.request_id, trade.created_ms)
    return Superseded(trade.order_id, made_by, made_ms, trade.quantity, trade.limit_price,
                      trade.time_in_force, trade.cum_qty, rep.at_ms,
                      trade.change_request_id or "")


def on_execution(state: TraderState, rep: ExecutionReport, refdata: RefData) -> list[Output]:
    trade = state.trades.get(rep.trade_id)
    if trade is None:
        return [Anomaly(rep.trader_id, AnomalyReason.UNKNOWN_TRADE, rep.trade_id, rep.exec_id)]
    if trade.status.terminal and rep.exec_type in LATE_REFUSALS:
        return []  # the fill or expiry overtook our cancel/amend: its refusal changes nothing
    if rep.exec_type is ExecType.NEW:
        result = _ack(trade, rep)
    elif rep.exec_type is ExecType.TRADE:
        result = _fill(trade, rep)
    else:
        result = _confirm(trade, rep)
    if isinstance(result, str):
        reason = AnomalyReason.ILLEGAL_TRANSITION
        for r in (AnomalyReason.OVERFILL, AnomalyReason.FILL_OUTSIDE_LIMIT):
            reason = r if result.startswith(r) else reason
        return [Anomaly(rep.trader_id, reason, f"{rep.trade_id}: {result}", rep.exec_id)]
    trade, fee = result, 0
    if rep.exec_type is ExecType.TRADE:
        fees_before = trade.fees
        trade = settle_fill(state, trade, refdata, rep.last_qty, rep.last_price)
        fee = trade.fees - fees_before
        fills = (*trade.fills, Fill(rep.exec_id, rep.last_qty, rep.last_price, fee))
        trade = evolve(trade, fills=fills)
        if trade.cum_qty >= max(trade.quantity, trade.pending_qty or 0):
            trade = _settled(trade, S.FILLED)
        elif trade.status.pending_change:
            trade = evolve(trade, prior_status=_working(trade))
        else:
            trade = evolve(trade, status=_working(trade))
    trade = rebalance(state, trade, target_block(trade, refdata)).stamped(
        rep.at_ms, f"exec:{rep.exec_id}")
    state.trades[trade.trade_id] = trade
    return [
        TradeUpdate(
            rep.trader_id, trade.trade_id, trade.status, rep.exec_id, trade.cum_qty,
            rep.last_qty if rep.exec_type is ExecType.TRADE else 0,
            rep.last_price if rep.exec_type is ExecType.TRADE else 0, fee, trade.order_id,
        )
    ]
