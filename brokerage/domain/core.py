"""The one entry to the business rules: `apply(state, event, refdata) -> (state, outputs)`.

Pure: no Kafka, Faust or I/O. The input state is never changed; a new one is returned.
Idempotent: a request id or execution id seen before changes nothing.
`apply_in_place` is the same rules on a state the caller owns (a private copy): a batch copies
a trader's state once, not per event, which for a busy trader (up to 1,000 open trades, 500
remembered requests, 2,000 execution ids) is most of the cost.
"""

from __future__ import annotations

from .events import (
    AmendTrade,
    CancelTrade,
    Deposit,
    EndOfDay,
    Event,
    ExecutionReport,
    NewTrade,
    Output,
    Request,
    Response,
    TradeUpdate,
    Withdraw,
)
from .executions import on_execution
from .identity import fingerprint
from .ledger import rebalance
from .records import evolve
from .refdata import RefData
from .requests import on_change, on_new, on_wallet, order_for, reject
from .state import (
    MAX_CLOSED_TRADES,
    MAX_REMEMBERED_EXECUTIONS,
    MAX_REMEMBERED_MONEY_MOVES,
    MAX_REMEMBERED_REQUESTS,
    ProcessedRequest,
    TraderState,
)
from .types import RejectReason, TimeInForce, TradeStatus
from .windows import evict_closed, remember, remember_request

MAX_DAYS_REMEMBERED = 10


def apply(state: TraderState, event: Event, refdata: RefData) -> tuple[TraderState, list[Output]]:
    new = state.copy()
    changed, outputs = apply_in_place(new, event, refdata)
    return (new if changed else state), outputs


def apply_in_place(state: TraderState, event: Event, refdata: RefData
                   ) -> tuple[bool, list[Output]]:
    """`apply`, changing `state` itself: (whether it changed, outputs). Unchanged means
    untouched: every refusal is decided before anything is written."""
    if event.trader_id != state.trader_id:
        raise ValueError(f"event for {event.trader_id} applied to {state.trader_id}")
    if isinstance(event, ExecutionReport):
        if event.exec_id in state.exec_ids:
            return False, []
        outputs = on_execution(state, event, refdata)
        if outputs and isinstance(outputs[0], TradeUpdate):
            remember(state.exec_ids, event.exec_id, None, MAX_REMEMBERED_EXECUTIONS)
            evict_closed(state, MAX_CLOSED_TRADES)
            return True, outputs
        return False, outputs  # an anomaly, or a late refusal: nothing changes
    if isinstance(event, EndOfDay):
        return _end_of_day(state, event)
    return _request(state, event, refdata)


def _request(state: TraderState, req: Request, refdata: RefData) -> tuple[bool, list[Output]]:
    seen = state.requests.get(req.request_id)
    fp = fingerprint(req)
    if seen is not None:
        if seen.fingerprint != fp:
            msg = "request id reused with a different body"
            return False, [reject(req, RejectReason.DUPLICATE_REQUEST, msg)]
        return False, _replay(state, seen.response)
    if isinstance(req, NewTrade):
        outputs = on_new(state, req, refdata)
    elif isinstance(req, AmendTrade | CancelTrade):
        outputs = on_change(state, req, refdata)
    else:
        assert isinstance(req, Deposit | Withdraw)
        outputs = on_wallet(state, req, refdata)
    response = outputs[0]
    assert isinstance(response, Response)
    remember_request(state.requests, req.request_id, ProcessedRequest(fp, response),
                     MAX_REMEMBERED_REQUESTS, MAX_REMEMBERED_MONEY_MOVES)
    return True, outputs


def _replay(state: TraderState, response: Response) -> list[Output]:
    """A redelivered request: the stored response again, plus its exchange command if that
    is still pending (the first run may have crashed before sending it)."""
    outputs: list[Output] = [response]
    trade = state.trades.get(response.trade_id or "")
    if response.accepted and trade is not None:
        mine = trade.change_request_id == response.request_id or (
            trade.request_id == response.request_id and trade.status is TradeStatus.PENDING_NEW
        )
        order = order_for(trade, state.trader_id) if mine else None
        if order is not None:
            outputs.append(order)
    return outputs


def _end_of_day(state: TraderState, event: EndOfDay) -> tuple[bool, list[Output]]:
    if event.trading_day in state.days_closed:
        return False, []
    state.days_closed = (*state.days_closed, event.trading_day)[-MAX_DAYS_REMEMBERED:]
    outputs: list[Output] = []
    for trade in list(state.trades.values()):
        if trade.time_in_force is TimeInForce.DAY and not trade.status.terminal:
            expired = evolve(trade, status=TradeStatus.EXPIRED, prior_status=None,
                              pending_qty=None, pending_price=None, change_request_id=None,
                              pending_time_in_force=None)
            state.trades[trade.trade_id] = rebalance(state, expired, 0).stamped(
                event.at_ms, f"eod:{event.trading_day}")
            outputs.append(TradeUpdate(state.trader_id, trade.trade_id, TradeStatus.EXPIRED,
                                       f"eod:{event.trading_day}", trade.cum_qty,
                                       order_id=trade.order_id))
    evict_closed(state, MAX_CLOSED_TRADES)
    return True, outputs
